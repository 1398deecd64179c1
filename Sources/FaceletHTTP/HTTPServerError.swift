/// Why an HTTP server could not start, or a listen address was refused.
///
/// `code` is stable; `message` says what went wrong and how to fix it; `context` carries the
/// address as dotted keys.
public struct HTTPServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable, machine-readable error code such as `http.bind_failed`.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code's text.
        public let rawValue: String

        /// Wraps a code's text.
        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// The code's text.
        public var description: String { rawValue }

        /// The listen address is not `host:port` with a numeric IPv4/IPv6 host or `localhost`.
        public static let badAddress = Code(rawValue: "http.bad_address")
        /// The daemon could not start (the port is taken, or not allowed).
        public static let bindFailed = Code(rawValue: "http.bind_failed")
        /// A file for a request body could not be created or written.
        public static let io = Code(rawValue: "http.io")
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

    /// `code: message [key=value, …]`, context sorted by key.
    public var description: String {
        guard !context.isEmpty else { return "\(code): \(message)" }
        let details = context.keys.sorted().map { "\($0)=\(context[$0] ?? "")" }
        return "\(code): \(message) [\(details.joined(separator: ", "))]"
    }
}
