/// An error from the training subsystem: loading photo sets, computing pseudo targets,
/// training a bank, checkpoints and benchmarks.
///
/// `code` is stable (scripts and `--json` output may match on it); `message` says what went
/// wrong and how to fix it; `path` names the file or folder involved, when there is one.
public struct TrainingError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A stable, machine-readable error code.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code's text, for example `empty-photo-set`.
        public let rawValue: String

        /// Makes a code from its text.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The photo folder does not exist or cannot be listed.
        public static let folderUnreadable = Code(rawValue: "folder-unreadable")
        /// The photo folder holds no PNG or JPEG photo.
        public static let emptyPhotoSet = Code(rawValue: "empty-photo-set")
        /// A file that looks like a photo could not be read or decoded.
        public static let unreadablePhoto = Code(rawValue: "unreadable-photo")
        /// A training option is out of range (batch size, epochs, K, sizes, …).
        public static let invalidOption = Code(rawValue: "invalid-option")
        /// The loss became NaN or infinite.
        public static let nonFiniteLoss = Code(rawValue: "non-finite-loss")
        /// A checkpoint file is unreadable or does not match the training run.
        public static let badCheckpoint = Code(rawValue: "bad-checkpoint")
        /// Writing a file (checkpoint, package, feature cache) failed.
        public static let io = Code(rawValue: "io")
        /// The backbone does not provide what the training needs (levels, channels).
        public static let backboneMismatch = Code(rawValue: "backbone-mismatch")

        /// The code's text.
        public var description: String { rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What went wrong and how to fix it.
    public var message: String
    /// The file or folder involved, if any.
    public var path: String?

    /// Makes an error.
    public init(_ code: Code, _ message: String, path: String? = nil) {
        self.code = code
        self.message = message
        self.path = path
    }

    /// One line: the code, the message and the path.
    public var description: String {
        if let path { return "\(code): \(message) (\(path))" }
        return "\(code): \(message)"
    }
}
