/// Everything that can go wrong in the local store.
///
/// `code` is stable (scripts and `--json` output match on it); `message` says what went wrong and
/// how to fix it; the optional context fields carry the path, SQL statement, SQLite result code
/// or digest involved.
public struct StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable, machine-readable error code, such as `store.not_found`.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code's text.
        public let rawValue: String

        /// Wraps a code's text.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The code's text.
        public var description: String { rawValue }

        /// The directory holds no initialised store (run `create` first).
        public static let notInitialised = Code(rawValue: "store.not_initialised")
        /// A reference (`name`, `name:version`, `name@tag`) or tag name is malformed.
        public static let invalidReference = Code(rawValue: "store.invalid_reference")
        /// No package, version, tag, thumbnail or blob matches.
        public static let notFound = Code(rawValue: "store.not_found")
        /// The version exists with different content; versions are immutable.
        public static let versionConflict = Code(rawValue: "store.version_conflict")
        /// The name is already used by a package of the other kind.
        public static let kindConflict = Code(rawValue: "store.kind_conflict")
        /// A bank's backbone is not in the store.
        public static let backboneMissing = Code(rawValue: "store.backbone_missing")
        /// A backbone cannot be removed while banks are bound to it.
        public static let backboneInUse = Code(rawValue: "store.backbone_in_use")
        /// The package is refused (bank does not fit its backbone, bad thumbnail, bad tag).
        public static let invalidPackage = Code(rawValue: "store.invalid_package")
        /// The tag is managed by the store (`latest`) and cannot be set by hand.
        public static let reservedTag = Code(rawValue: "store.reserved_tag")
        /// Stored bytes do not hash to their recorded digest.
        public static let integrity = Code(rawValue: "store.integrity")
        /// A file-system operation failed.
        public static let io = Code(rawValue: "store.io")
        /// SQLite reported an error.
        public static let database = Code(rawValue: "store.database")
        /// Another process held a lock for longer than the timeout.
        public static let busy = Code(rawValue: "store.busy")
        /// The schema could not be brought up to date.
        public static let migration = Code(rawValue: "store.migration")
        /// A signature to record does not verify over its version's content digest, or is
        /// malformed (the message carries the `SignatureError`).
        public static let invalidSignature = Code(rawValue: "store.invalid_signature")
        /// A trusted key's label is too long or holds control characters.
        public static let invalidLabel = Code(rawValue: "store.invalid_label")
        /// The signature policy requires a signature by a trusted key and there is none
        /// (docs/remote.md, `policy.require_signature`).
        public static let unsigned = Code(rawValue: "remote.unsigned")
        /// The signature policy is on and a signature does not verify.
        public static let badSignature = Code(rawValue: "remote.bad_signature")
        /// A failure injected by a test hook (simulates a crash at a named step).
        public static let injectedFault = Code(rawValue: "store.injected_fault")
    }

    /// The stable error code.
    public var code: Code
    /// What went wrong and how to fix it.
    public var message: String
    /// The file or directory involved, if any.
    public var path: String?
    /// The SQL statement involved, if any.
    public var sql: String?
    /// The SQLite (extended) result code, if SQLite reported the error.
    public var sqliteResultCode: Int32?
    /// The content or blob digest involved (`sha256:<hex>`), if any.
    public var digest: String?

    /// Creates an error; the context fields are optional.
    public init(
        _ code: Code, _ message: String, path: String? = nil, sql: String? = nil,
        sqliteResultCode: Int32? = nil, digest: String? = nil
    ) {
        self.code = code
        self.message = message
        self.path = path
        self.sql = sql
        self.sqliteResultCode = sqliteResultCode
        self.digest = digest
    }

    /// One line: code, message and context.
    public var description: String {
        var text = "\(code): \(message)"
        if let path { text += " [path: \(path)]" }
        if let digest { text += " [digest: \(digest)]" }
        if let sqliteResultCode { text += " [sqlite: \(sqliteResultCode)]" }
        if let sql { text += " [sql: \(sql)]" }
        return text
    }
}
