import Foundation

/// Any error a command throws, reduced to what the user sees: a stable code, one line of
/// message and the exit status.
struct ErrorReport {
    /// The stable code (`usage`, the subsystem's own code, ...).
    let code: String
    /// One line.
    let message: String
    /// 1 for user errors, 2 for usage errors.
    let exitCode: Int32

    init(_ error: any Error) {
        switch error {
        case let error as CLIError:
            code = error.code
            message = error.message
            exitCode = error.exitCode
        default:
            // TODO: map each subsystem's error type to its code once all modules have landed.
            code = "error"
            message = CLIError.oneLine(String(describing: error))
            exitCode = 1
        }
    }
}
