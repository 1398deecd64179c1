/// Everything that can go wrong talking to a remote registry or a static mirror.
///
/// `code` is stable (scripts and `--json` output match on it, docs/remote.md names them);
/// `message` says what went wrong and how to fix it; the context fields carry the URL (never
/// with credentials), the HTTP status and the digest involved. No field ever holds a token.
public struct RemoteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable, machine-readable error code, such as `remote.not_found`.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code's text.
        public let rawValue: String

        /// Wraps a code's text.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The code's text.
        public var description: String { rawValue }

        /// The remote is not a usable URL or configured name.
        public static let badRemote = Code(rawValue: "remote.bad_remote")
        /// The token in the environment cannot be a bearer token (control characters, spaces).
        public static let badToken = Code(rawValue: "remote.bad_token")
        /// The remote has no such package, version, tag or file.
        public static let notFound = Code(rawValue: "remote.not_found")
        /// The connection failed or broke off (refused, timed out, reset).
        public static let connection = Code(rawValue: "remote.connection")
        /// The remote answered something that is not what the API promises (status, type,
        /// malformed JSON, a document naming another version).
        public static let badResponse = Code(rawValue: "remote.bad_response")
        /// A version document's content does not hash to the digest it was asked for.
        public static let digestMismatch = Code(rawValue: "remote.digest_mismatch")
        /// A blob's bytes do not have the size or SHA-256 the version document names.
        public static let blobMismatch = Code(rawValue: "remote.blob_mismatch")
        /// A resumed download was not answered with the asked-for range (`206` with a
        /// matching `Content-Range`).
        public static let badRange = Code(rawValue: "remote.bad_range")
        /// The token is missing or wrong (HTTP 401).
        public static let unauthorized = Code(rawValue: "remote.unauthorized")
        /// The remote refuses the operation (HTTP 403, e.g. publishing is disabled).
        public static let forbidden = Code(rawValue: "remote.forbidden")
        /// The version exists on the remote with other content (HTTP 409).
        public static let conflict = Code(rawValue: "remote.conflict")
        /// The upload is larger than the remote accepts (HTTP 413).
        public static let tooLarge = Code(rawValue: "remote.too_large")
        /// The remote refused the package or a signature as invalid (HTTP 422).
        public static let invalidPackage = Code(rawValue: "remote.invalid_package")
        /// The remote lacks the bank's backbone (HTTP 424): publish the backbone first.
        public static let backboneMissing = Code(rawValue: "remote.backbone_missing")
        /// The pulled content does not form a valid package.
        public static let invalidContent = Code(rawValue: "remote.invalid_content")
        /// A local file operation failed (partial downloads, mirror files).
        public static let io = Code(rawValue: "remote.io")
    }

    /// The stable error code.
    public var code: Code
    /// What went wrong and how to fix it.
    public var message: String
    /// The URL involved, without credentials, if any.
    public var url: String?
    /// The HTTP status the remote answered, if any.
    public var status: Int?
    /// The digest involved (`sha256:<hex>`), if any.
    public var digest: String?

    /// Creates an error; the context fields are optional.
    public init(_ code: Code, _ message: String, url: String? = nil, status: Int? = nil,
                digest: String? = nil) {
        self.code = code
        self.message = message
        self.url = url
        self.status = status
        self.digest = digest
    }

    /// One line: code, message and context.
    public var description: String {
        var text = "\(code): \(message)"
        if let url { text += " [url: \(url)]" }
        if let status { text += " [status: \(status)]" }
        if let digest { text += " [digest: \(digest)]" }
        return text
    }
}
