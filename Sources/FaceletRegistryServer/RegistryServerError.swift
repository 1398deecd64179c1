import FaceletHTTP

/// Why the registry server could not start.
///
/// `code` is stable; `message` says what went wrong and how to fix it; `context` carries the
/// address or folder involved as dotted keys. (Failures of single requests are not thrown:
/// they are answered as JSON errors, docs/remote.md.)
public struct RegistryServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable, machine-readable error code such as `registry.bind_failed`.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code's text.
        public let rawValue: String

        /// Wraps a code's text.
        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// The code's text.
        public var description: String { rawValue }

        /// The listen address is not a numeric `host:port`.
        public static let badAddress = Code(rawValue: "registry.bad_address")
        /// The port is taken or not allowed.
        public static let bindFailed = Code(rawValue: "registry.bind_failed")
        /// The upload folder cannot be made, or the configuration contradicts itself.
        public static let setupFailed = Code(rawValue: "registry.setup_failed")
    }

    /// The stable code.
    public let code: Code
    /// What went wrong and how to fix it.
    public let message: String
    /// What the failure is about, as dotted keys.
    public let context: [String: String]

    /// Makes an error from its parts.
    public init(_ code: Code, _ message: String, context: [String: String] = [:]) {
        self.code = code
        self.message = message
        self.context = context
    }

    /// The registry's error for a failure of the HTTP layer (same message and context).
    init(_ error: HTTPServerError) {
        let code: Code = error.code == .badAddress ? .badAddress
            : error.code == .bindFailed ? .bindFailed : .setupFailed
        self.init(code, error.message, context: error.context)
    }

    /// `code: message [key=value, …]`, context sorted by key.
    public var description: String {
        guard !context.isEmpty else { return "\(code): \(message)" }
        let details = context.keys.sorted().map { "\($0)=\(context[$0] ?? "")" }
        return "\(code): \(message) [\(details.joined(separator: ", "))]"
    }
}
