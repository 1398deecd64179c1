import Testing
@testable import FaceletCLI

@Suite struct ArgumentParserTests {
    static let spec = CommandSpec(
        "apply", summary: "edit a photo",
        positionals: [PositionalSpec("REF", help: "the bank"),
                      PositionalSpec("INPUT", help: "the photo")],
        options: [OptionSpec("output", short: "o", value: "FILE", help: "where"),
                  OptionSpec("strength", value: "λ", help: "how much"),
                  OptionSpec("quiet", help: "say less")])

    @Test func readsLongShortAndInlineForms() throws {
        let parsed = try ArgumentParser.parse(
            ["beard", "in.png", "-o", "out.png", "--strength=0.5", "--quiet"],
            spec: Self.spec, globals: ParsedArguments())
        #expect(parsed.positionals == ["beard", "in.png"])
        #expect(parsed.value("output") == "out.png")
        #expect(parsed.value("strength") == "0.5")
        #expect(parsed.flag("quiet"))
        #expect(!parsed.flag("json"))
    }

    @Test func takesNegativeNumbersAsValues() throws {
        let parsed = try ArgumentParser.parse(
            ["--strength", "-0.5", "beard", "in.png", "-oout.png"],
            spec: Self.spec, globals: ParsedArguments())
        #expect(parsed.value("strength") == "-0.5")
        #expect(parsed.value("output") == "out.png")
        #expect(parsed.positionals == ["beard", "in.png"])
    }

    @Test func acceptsGlobalOptionsAfterTheCommand() throws {
        let parsed = try ArgumentParser.parse(
            ["beard", "in.png", "--json", "--store", "/tmp/s"],
            spec: Self.spec, globals: ParsedArguments())
        #expect(parsed.flag("json"))
        #expect(parsed.value("store") == "/tmp/s")
    }

    @Test func splitsGlobalOptionsBeforeTheCommand() throws {
        let split = try ArgumentParser.splitCommand(
            ["--store", "/tmp/s", "--json", "list", "--config=x.json"])
        #expect(split.command == "list")
        #expect(split.rest == ["--config=x.json"])
        #expect(split.globals.value("store") == "/tmp/s")
        #expect(split.globals.flag("json"))
    }

    @Test(arguments: [
        (["beard", "in.png", "--bogus"], "unknown option '--bogus'"),
        (["beard"], "missing argument INPUT"),
        (["beard", "in.png", "extra"], "unexpected argument 'extra'"),
        (["beard", "in.png", "-o"], "option --output needs a value"),
        (["beard", "in.png", "--strength", "-o", "x.png"], "option --strength needs a value"),
        (["beard", "in.png", "-o", "--quiet"], "option --output needs a value"),
        (["beard", "in.png", "--quiet=yes"], "option --quiet takes no value"),
    ])
    func rejectsBadCommandLinesAsUsageErrors(args: [String], fragment: String) {
        do {
            _ = try ArgumentParser.parse(args, spec: Self.spec, globals: ParsedArguments())
            Issue.record("expected a usage error")
        } catch {
            #expect(error.exitCode == 2)
            #expect(error.code == "usage")
            #expect(error.message.contains(fragment))
        }
    }

    @Test func helpListsArgumentsAndOptions() {
        let text = ArgumentParser.helpText(Self.spec)
        #expect(text.hasPrefix("usage: facelet-registry apply REF INPUT [-o FILE]"))
        #expect(text.contains("--strength λ"))
        #expect(text.contains("--store DIR"))
    }

    @Test func textTableAlignsColumns() {
        var table = TextTable()
        table.add("a", "bbb", "c")
        table.add("dddd", "e", "")
        #expect(table.lines == ["a     bbb  c", "dddd  e"])
    }
}
