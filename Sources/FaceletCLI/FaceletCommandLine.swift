import Foundation

/// One subcommand: how it parses and what it does.
struct Command: Sendable {
    /// The command's shape on the command line.
    let spec: CommandSpec
    /// The work.
    let run: @Sendable (CommandContext) throws -> Void
}

/// The `facelet-registry` command line: parses the arguments, runs one subcommand and maps
/// every failure to one line on standard error and an exit status.
///
/// Exit status: 0 success, 1 a user error (bad input, not found, damage found by `verify`),
/// 2 a usage error (unknown command or option, missing argument).
public enum FaceletCommandLine {
    /// Runs with the process's arguments and streams, then exits with the status.
    public static func main() -> Never {
        let status = run(Array(CommandLine.arguments.dropFirst()), io: .standard())
        exit(status)
    }

    /// Runs one command line (`args` excludes the program name) and returns the exit status.
    public static func run(_ args: [String], io: CommandIO) -> Int32 {
        let wantsJSON = args.contains("--json")
        do {
            let (word, rest, globals) = try ArgumentParser.splitCommand(args)
            guard let word else {
                if globals.flag("help") {
                    io.write(overview())
                    return 0
                }
                throw CLIError.usage("no command given (see 'facelet-registry --help')")
            }
            if word == "help" {
                return try help(rest, io: io)
            }
            guard let command = commands.first(where: { $0.spec.name == word }) else {
                throw CLIError.usage("unknown command '\(word)' (see 'facelet-registry --help')")
            }
            let parsed = try ArgumentParser.parse(rest, spec: command.spec, globals: globals)
            if parsed.flag("help") {
                io.write(ArgumentParser.helpText(command.spec))
                return 0
            }
            let context = try CommandContext.resolve(io: io, arguments: parsed)
            try command.run(context)
            return 0
        } catch {
            let failure = ErrorReport(error)
            if wantsJSON {
                let object: JSONValue = ["error": ["code": .string(failure.code),
                                                   "message": .string(failure.message)]]
                io.writeError(object.text + "\n")
            } else {
                io.writeError("facelet-registry: error: \(failure.message)\n")
            }
            return failure.exitCode
        }
    }

    /// `facelet-registry help [COMMAND]`.
    private static func help(_ rest: [String], io: CommandIO) throws(CLIError) -> Int32 {
        guard let name = rest.first else {
            io.write(overview())
            return 0
        }
        guard let command = commands.first(where: { $0.spec.name == name }) else {
            throw .usage("unknown command '\(name)' (see 'facelet-registry --help')")
        }
        io.write(ArgumentParser.helpText(command.spec))
        return 0
    }

    /// The top-level help: every command with its one-line summary.
    static func overview() -> String {
        var lines = [
            "usage: facelet-registry [--store DIR] [--config FILE] [--json] COMMAND [ARGS]",
            "",
            "Stores, ships and runs facelet banks (per-effect layers over a frozen backbone).",
            "",
            "commands:",
        ]
        let width = commands.map(\.spec.name.count).max() ?? 0
        for command in commands {
            lines.append("  " + ArgumentParser.pad(command.spec.name, width) + "  "
                + command.spec.summary)
        }
        lines += ["", "global options:"]
        let optionWidth = ArgumentParser.globalOptions.map(\.usageForm.count).max() ?? 0
        for option in ArgumentParser.globalOptions {
            lines.append("  " + ArgumentParser.pad(option.usageForm, optionWidth) + "  "
                + option.help)
        }
        lines += ["", "Run 'facelet-registry COMMAND --help' for a command's options."]
        return lines.joined(separator: "\n") + "\n"
    }

    /// Every subcommand, in the order `--help` lists them.
    static let commands: [Command] = {
        let all = storeCommands + catalogueCommands + runtimeCommands + trainingCommands
            + benchmarkCommands + transformCommands + generatorCommands + importCommands
            + serveCommands + engineBenchmarkCommands + signingCommands
            + registryServerCommands + remoteCommands
        let order = ["init", "publish", "import", "list", "show", "tag", "rm", "export", "diff",
                     "verify", "gc", "log", "apply", "audit", "serve-runtime", "train",
                     "train-decoder", "bench-effect", "bench", "transform-photos", "new-backbone",
                     "new-bank", "keygen", "trust", "pull", "outdated", "mirror"]
        return all.sorted { a, b in
            (order.firstIndex(of: a.spec.name) ?? order.count)
                < (order.firstIndex(of: b.spec.name) ?? order.count)
        }
    }()
}
