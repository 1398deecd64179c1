import FaceletImaging
import FaceletImport
import FaceletModel
import FaceletPackage
import FaceletRemote
import FaceletRuntime
import FaceletService
import FaceletStore
import FaceletTraining
import Foundation

/// Any error a command throws, reduced to what the user sees: a stable code, one line of
/// message and the exit status.
struct ErrorReport {
    /// The stable code (`usage`, or the subsystem's own code such as `store.not_found`).
    let code: String
    /// One line.
    let message: String
    /// 1 for user errors, 2 for usage errors.
    let exitCode: Int32

    init(_ error: any Error) {
        var exit: Int32 = 1
        let code: String
        let message: String
        switch error {
        case let error as CLIError:
            code = error.code
            message = error.message
            exit = error.exitCode
        case let error as StoreError:
            code = error.code.rawValue
            message = error.message
        case let error as RemoteError:
            code = error.code.rawValue
            message = error.message
        case let error as PackageError:
            code = error.code.rawValue
            message = ErrorReport.withContext(error)
        case let error as SignatureError:
            code = error.code.rawValue
            message = error.context["file.path"].map { path in
                error.message.contains(path) ? error.message : "\(path): \(error.message)"
            } ?? error.message
        case let error as ImageError:
            code = "image." + error.code.rawValue
            message = error.path.map { "\($0): \(error.message)" } ?? error.message
        case let error as TrainingError:
            code = "training." + error.code.rawValue
            message = error.path.map { "\($0): \(error.message)" } ?? error.message
        case let error as ModelError:
            code = error.code.rawValue
            message = error.message
        case let error as ImportError:
            code = error.code.rawValue
            message = error.context["file.path"].map { "\($0): \(error.message)" }
                ?? error.message
        case let error as ServiceError:
            code = error.code.rawValue
            message = error.message
        case let error as RuntimeError:
            code = error.code.rawValue
            message = error.message
        default:
            code = "internal"
            message = String(describing: error)
        }
        self.code = code
        self.message = CLIError.oneLine(message)
        self.exitCode = exit
    }

    /// A package error's message followed by its context (`name "../x"`), which says which
    /// value was refused.
    static func withContext(_ error: PackageError) -> String {
        guard !error.context.isEmpty else { return error.message }
        let details = error.context.sorted { $0.key < $1.key }
            .map { "\($0.key) \"\($0.value)\"" }
        return error.message + " (" + details.joined(separator: ", ") + ")"
    }
}
