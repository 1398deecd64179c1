import Foundation

/// Everything a running command needs: its parsed arguments, where the store is, the
/// registry settings, and where to print.
struct CommandContext {
    /// The output sink and environment.
    let io: CommandIO
    /// The command's parsed arguments (global options included).
    let arguments: ParsedArguments
    /// The absolute path of the store folder.
    let storePath: String
    /// The registry settings in effect.
    let config: RegistryConfig

    /// Whether `--json` was given.
    var json: Bool { arguments.flag("json") }

    /// Resolves the store folder and the config from the global options and environment:
    /// `--config`, else `$FACELET_CONFIG`; `--store`, else `$FACELET_HOME`, else the config
    /// file's `store`, else `~/.facelet`; with no config file named, `<store>/registry.json`
    /// when it exists, else the built-in defaults.
    static func resolve(io: CommandIO, arguments: ParsedArguments) throws(CLIError)
        -> CommandContext {
        var config: RegistryConfig?
        let named = arguments.value("config") ?? nonEmpty(io.environment["FACELET_CONFIG"])
        if let named {
            config = try RegistryConfig.load(path: io.absolutePath(named))
        }
        let storeText = arguments.value("store") ?? nonEmpty(io.environment["FACELET_HOME"])
            ?? config?.store ?? "~/.facelet"
        guard !storeText.isEmpty else {
            throw .usage("--store needs a folder")
        }
        let storePath = io.absolutePath(storeText)
        if config == nil {
            let candidate = (storePath as NSString).appendingPathComponent("registry.json")
            if FileManager.default.fileExists(atPath: candidate) {
                config = try RegistryConfig.load(path: candidate)
            }
        }
        return CommandContext(io: io, arguments: arguments, storePath: storePath,
                              config: config ?? .builtIn)
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }

    /// A required positional argument (the parser has already checked the count).
    func positional(_ index: Int) -> String {
        arguments.positional(index) ?? ""
    }

    /// Resolves a path argument against the working directory.
    func path(_ text: String) -> String {
        io.absolutePath(text)
    }

    /// Prints the result: `json` with `--json`, else the text lines.
    func emit(_ json: @autoclosure () -> JSONValue, text: () -> [String]) {
        if self.json {
            io.line(json().text)
        } else {
            for line in text() { io.line(line) }
        }
    }

    /// Prints a note on standard error (suppressed in `--json` mode, where stdout is data and
    /// stderr is reserved for the error object).
    func note(_ text: String) {
        guard !json else { return }
        io.writeError("facelet-registry: note: \(CLIError.oneLine(text))\n")
    }
}
