import Foundation

/// One option a command accepts: `--name VALUE`, `--name=VALUE`, or a flag `--name`.
struct OptionSpec: Sendable {
    /// The long name without dashes (`strength`).
    let name: String
    /// An optional one-letter short form (`o` for `-o`).
    let short: Character?
    /// The placeholder for the value in usage text; `nil` makes the option a flag.
    let valueName: String?
    /// One line of help.
    let help: String

    init(_ name: String, short: Character? = nil, value: String? = nil, help: String) {
        self.name = name
        self.short = short
        self.valueName = value
        self.help = help
    }

    var takesValue: Bool { valueName != nil }

    var usageForm: String {
        var form = "--\(name)"
        if let short { form = "-\(short), " + form }
        if let valueName { form += " \(valueName)" }
        return form
    }
}

/// One positional argument of a command.
struct PositionalSpec: Sendable {
    /// The placeholder in usage text (`FILE`).
    let name: String
    /// One line of help.
    let help: String
    /// Whether it may be left out.
    let optional: Bool
    /// Whether it takes every remaining argument (`FILE...`); only the last positional may.
    let repeating: Bool

    init(_ name: String, optional: Bool = false, repeating: Bool = false, help: String) {
        self.name = name
        self.help = help
        self.optional = optional
        self.repeating = repeating
    }

    /// `FILE`, `FILE...`, `[FILE]`.
    var usageForm: String {
        let form = repeating ? name + "..." : name
        return optional ? "[\(form)]" : form
    }
}

/// What a subcommand looks like on the command line, for parsing and for `--help`.
struct CommandSpec: Sendable {
    /// The subcommand word (`publish`).
    let name: String
    /// One line: what the command does.
    let summary: String
    /// Positional arguments, in order.
    let positionals: [PositionalSpec]
    /// Command-specific options (the global ones are added by the parser).
    let options: [OptionSpec]
    /// Extra paragraphs for `--help`.
    let discussion: String

    init(_ name: String, summary: String, positionals: [PositionalSpec] = [],
         options: [OptionSpec] = [], discussion: String = "") {
        self.name = name
        self.summary = summary
        self.positionals = positionals
        self.options = options
        self.discussion = discussion
    }
}

/// The parsed command line of one subcommand.
struct ParsedArguments: Sendable {
    /// Positional arguments in order.
    var positionals: [String] = []
    /// Option values by long name (the last one wins when given twice).
    var values: [String: String] = [:]
    /// Every value of each option, in the order given (for options that may repeat).
    var allValues: [String: [String]] = [:]
    /// Flags that were given, by long name.
    var flags: Set<String> = []

    /// The value of `--name`, if given.
    func value(_ name: String) -> String? { values[name] }

    /// Every value given for `--name`, in order (empty when it was not given).
    func values(_ name: String) -> [String] { allValues[name] ?? [] }

    /// Whether the flag `--name` was given.
    func flag(_ name: String) -> Bool { flags.contains(name) }

    /// The positional at `index`, if given.
    func positional(_ index: Int) -> String? {
        index < positionals.count ? positionals[index] : nil
    }
}

/// A small command-line parser: a subcommand word, options in long (`--x v`, `--x=v`) and
/// short (`-o v`) form anywhere after it, global options before or after it, `--` to end
/// options, and `-h`/`--help`.
enum ArgumentParser {
    /// Options every command accepts.
    static let globalOptions: [OptionSpec] = [
        OptionSpec("store", value: "DIR",
                   help: "the store folder (else $FACELET_HOME, else ~/.facelet)"),
        OptionSpec("config", value: "FILE",
                   help: "registry.json to use (else $FACELET_CONFIG, else <store>/registry.json)"),
        OptionSpec("json", help: "print one JSON object instead of text"),
        OptionSpec("help", short: "h", help: "show help for the command"),
    ]

    /// Splits `args` into the subcommand word and the rest, reading global options that come
    /// before the subcommand into `globals`.
    static func splitCommand(_ args: [String]) throws(CLIError)
        -> (command: String?, rest: [String], globals: ParsedArguments) {
        var globals = ParsedArguments()
        var index = 0
        while index < args.count {
            let token = args[index]
            if token == "--" || !token.hasPrefix("-") || token == "-" {
                break
            }
            index = try consumeOption(args, at: index, specs: globalOptions, into: &globals,
                                      command: nil)
        }
        guard index < args.count else { return (nil, [], globals) }
        var start = index
        if args[index] == "--" { start += 1 }
        guard start < args.count else { return (nil, [], globals) }
        return (args[start], Array(args[(start + 1)...]), globals)
    }

    /// Parses the arguments after the subcommand word against `spec` plus the global options.
    static func parse(_ args: [String], spec: CommandSpec,
                      globals: ParsedArguments) throws(CLIError) -> ParsedArguments {
        var parsed = globals
        let specs = spec.options + globalOptions
        var index = 0
        var optionsEnded = false
        while index < args.count {
            let token = args[index]
            if optionsEnded || !token.hasPrefix("-") || token == "-" || isNumber(token) {
                parsed.positionals.append(token)
                index += 1
            } else if token == "--" {
                optionsEnded = true
                index += 1
            } else {
                index = try consumeOption(args, at: index, specs: specs, into: &parsed,
                                          command: spec.name)
            }
        }
        if parsed.flag("help") { return parsed }
        let required = spec.positionals.filter { !$0.optional }.count
        if parsed.positionals.count < required {
            let missing = spec.positionals[parsed.positionals.count].name
            throw .usage("\(spec.name): missing argument \(missing) "
                + "(usage: facelet-registry \(usageLine(spec)))")
        }
        if parsed.positionals.count > spec.positionals.count,
           spec.positionals.last?.repeating != true {
            let extra = parsed.positionals[spec.positionals.count]
            throw .usage("\(spec.name): unexpected argument '\(extra)' "
                + "(usage: facelet-registry \(usageLine(spec)))")
        }
        return parsed
    }

    /// Whether `word` names one of `specs` (`--name`, `--name=…`, `-x`, `-x…`).
    private static func isKnownOption(_ word: String, specs: [OptionSpec]) -> Bool {
        guard word.hasPrefix("-"), word != "-", word != "--", !isNumber(word) else { return false }
        if word.hasPrefix("--") {
            let name = word.dropFirst(2).split(separator: "=", maxSplits: 1).first.map(String.init)
            return specs.contains { $0.name == name }
        }
        return specs.contains { $0.short != nil && $0.short == word.dropFirst().first }
    }

    /// Reads the option at `args[index]` (and its value) into `parsed`; returns the next index.
    private static func consumeOption(_ args: [String], at index: Int, specs: [OptionSpec],
                                      into parsed: inout ParsedArguments,
                                      command: String?) throws(CLIError) -> Int {
        let token = args[index]
        let context = command.map { "\($0): " } ?? ""
        var name: String
        var inlineValue: String?
        var spec: OptionSpec?
        if token.hasPrefix("--") {
            let body = token.dropFirst(2)
            if let eq = body.firstIndex(of: "=") {
                name = String(body[..<eq])
                inlineValue = String(body[body.index(after: eq)...])
            } else {
                name = String(body)
            }
            spec = specs.first { $0.name == name }
        } else {
            let body = token.dropFirst()
            guard let letter = body.first else {
                throw .usage("\(context)unknown option '\(token)'")
            }
            spec = specs.first { $0.short == letter }
            name = spec?.name ?? String(letter)
            let rest = body.dropFirst()
            if !rest.isEmpty {
                inlineValue = rest.hasPrefix("=") ? String(rest.dropFirst()) : String(rest)
            }
        }
        guard let spec else {
            let hint = command.map { " (see 'facelet-registry \($0) --help')" }
                ?? " (see 'facelet-registry --help')"
            throw .usage("\(context)unknown option '\(token)'\(hint)")
        }
        if !spec.takesValue {
            if inlineValue != nil {
                throw .usage("\(context)option --\(spec.name) takes no value")
            }
            parsed.flags.insert(spec.name)
            return index + 1
        }
        if let inlineValue {
            parsed.values[spec.name] = inlineValue
            parsed.allValues[spec.name, default: []].append(inlineValue)
            return index + 1
        }
        // The next word is this option's value unless it is one of the command's own options
        // (`--output-mode -o x.fbb` forgot the mode); a number such as -1 is a value.
        guard index + 1 < args.count, !isKnownOption(args[index + 1], specs: specs) else {
            throw .usage("\(context)option --\(spec.name) needs a value \(spec.valueName ?? "")")
        }
        parsed.values[spec.name] = args[index + 1]
        parsed.allValues[spec.name, default: []].append(args[index + 1])
        return index + 2
    }

    /// A token like `-0.5` is a value, not an option.
    private static func isNumber(_ token: String) -> Bool {
        Double(token) != nil
    }

    /// `publish FILE [--thumbnails-off]`-style one-line usage.
    static func usageLine(_ spec: CommandSpec) -> String {
        var parts = [spec.name]
        for positional in spec.positionals {
            parts.append(positional.usageForm)
        }
        for option in spec.options {
            var form = option.short.map { "-\($0)" } ?? "--\(option.name)"
            if let valueName = option.valueName { form += " \(valueName)" }
            parts.append("[\(form)]")
        }
        return parts.joined(separator: " ")
    }

    /// The full `--help` text of a command.
    static func helpText(_ spec: CommandSpec) -> String {
        var lines = ["usage: facelet-registry \(usageLine(spec))", "", spec.summary]
        if !spec.discussion.isEmpty {
            lines += [""] + wrap(spec.discussion, width: 78)
        }
        if !spec.positionals.isEmpty {
            lines += ["", "arguments:"]
            let names = spec.positionals.map { $0.repeating ? $0.name + "..." : $0.name }
            let width = names.map(\.count).max() ?? 0
            for (name, positional) in zip(names, spec.positionals) {
                lines.append("  " + pad(name, width) + "  " + positional.help)
            }
        }
        let options = spec.options + globalOptions
        lines += ["", "options:"]
        let width = options.map(\.usageForm.count).max() ?? 0
        for option in options {
            lines.append("  " + pad(option.usageForm, width) + "  " + option.help)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Breaks `text` into lines of at most `width` characters at spaces.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty && current.count + 1 + word.count > width {
                lines.append(current)
                current = ""
            }
            current += current.isEmpty ? String(word) : " " + word
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// Pads `text` with spaces on the right to `width` characters.
    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
