import Foundation

/// An error the command line reports to the user: a stable code, a one-line message and the
/// exit status it maps to (1 for a user error, 2 for a usage error).
public struct CLIError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A stable, machine-readable code (`usage`, `not-found`, `bad-image`, ...).
    public let code: String
    /// What went wrong and, where it helps, how to fix it. Always a single line.
    public let message: String
    /// The process exit status for this error.
    public let exitCode: Int32

    /// Creates an error; newlines in `message` are folded so it stays one line.
    public init(code: String, _ message: String, exitCode: Int32 = 1) {
        self.code = code
        self.message = CLIError.oneLine(message)
        self.exitCode = exitCode
    }

    /// A usage error (exit status 2): a bad option, a missing argument.
    static func usage(_ message: String) -> CLIError {
        CLIError(code: "usage", message, exitCode: 2)
    }

    /// A user error (exit status 1) with the given code.
    static func user(_ code: String, _ message: String) -> CLIError {
        CLIError(code: code, message, exitCode: 1)
    }

    /// The message, as printed after `facelet-registry: error: `.
    public var description: String { message }

    /// Folds line breaks and runs of white space into single spaces.
    static func oneLine(_ text: String) -> String {
        let parts = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\t" })
        return parts.map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
    }
}
