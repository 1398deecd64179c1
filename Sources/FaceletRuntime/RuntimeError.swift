import FaceletImaging
import FaceletModel
import FaceletPackage
import FaceletStore

/// Why the runtime refused a bank, a request or an update.
///
/// `code` is stable and meant for programs (HTTP error bodies, logs); `message` says what went
/// wrong and how to fix it; `context` carries the specifics as dotted keys (`effect.name`,
/// `bank.digest`, `cause.code` for the error of the layer below).
public struct RuntimeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable, machine-readable error code such as `runtime.invalid_bank`.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code's text.
        public let rawValue: String

        /// Wraps a code's text.
        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// The code's text.
        public var description: String { rawValue }

        /// A bank failed validation (unreadable package, wrong kind, other backbone, shapes);
        /// the version that was serving keeps serving.
        public static let invalidBank = Code(rawValue: "runtime.invalid_bank")
        /// No effect of that name is installed.
        public static let unknownEffect = Code(rawValue: "runtime.unknown_effect")
        /// No open session has that id (never opened, closed, expired or evicted).
        public static let unknownSession = Code(rawValue: "runtime.unknown_session")
        /// The strength is not a finite number.
        public static let badStrength = Code(rawValue: "runtime.bad_strength")
        /// The photo cannot be edited (too small or too large for the editor).
        public static let badPhoto = Code(rawValue: "runtime.bad_photo")
        /// An effect name breaks the naming rule of package names.
        public static let badEffectName = Code(rawValue: "runtime.bad_effect_name")
        /// The store could not be read while following a reference.
        public static let store = Code(rawValue: "runtime.store")
    }

    /// The stable code.
    public let code: Code
    /// What went wrong and how to fix it, as one sentence for a person.
    public let message: String
    /// What the failure is about, as dotted keys.
    public let context: [String: String]

    /// Makes an error from its parts.
    public init(_ code: Code, _ message: String, context: [String: String] = [:]) {
        self.code = code
        self.message = message
        self.context = context
    }

    /// `code: message [key=value, …]`, context sorted by key.
    public var description: String {
        guard !context.isEmpty else { return "\(code): \(message)" }
        let details = context.keys.sorted().map { "\($0)=\(context[$0] ?? "")" }
        return "\(code): \(message) [\(details.joined(separator: ", "))]"
    }
}

extension RuntimeError {
    /// A bank refused by the layer below (`PackageError`, `ModelError`, `StoreError`).
    static func invalidBank(effect: String, source: String, cause: any Error) -> RuntimeError {
        let (code, message) = describe(cause)
        return RuntimeError(.invalidBank,
                            "bank for effect '\(effect)' from \(source) was refused (\(message));"
                                + " the installed version keeps serving; publish a bank made"
                                + " for the loaded backbone",
                            context: ["effect.name": effect, "bank.source": source,
                                      "cause.code": code])
    }

    /// No effect named `name` is installed.
    static func unknownEffect(_ name: String) -> RuntimeError {
        RuntimeError(.unknownEffect,
                     "no effect named '\(name.prefix(64))' is installed; list the installed"
                         + " effects and pick one of them",
                     context: ["effect.name": String(name.prefix(64))])
    }

    /// The code and message of an error from a lower layer.
    static func describe(_ error: any Error) -> (code: String, message: String) {
        switch error {
        case let error as PackageError: (error.code.rawValue, error.message)
        case let error as ModelError: (error.code.rawValue, error.message)
        case let error as StoreError: (error.code.rawValue, error.message)
        case let error as ImageError: (error.code.rawValue, error.message)
        case let error as RuntimeError: (error.code.rawValue, error.message)
        default: ("unknown", "\(error)")
        }
    }
}
