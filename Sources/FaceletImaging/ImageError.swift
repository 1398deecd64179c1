/// Why a photo could not be read or written.
///
/// `code` is stable and meant for scripts (`--json` output); `message` is for people and says
/// what went wrong and how to fix it; `path` names the file when one was involved.
public struct ImageError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A stable identifier for a kind of imaging failure.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The stable string, e.g. `"too-large"`.
        public let rawValue: String

        /// Wraps a code string.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The data is not a PNG or JPEG (wrong magic bytes, a text file, an empty file).
        public static let notAnImage = Code(rawValue: "not-an-image")
        /// The file ends before the image does.
        public static let truncated = Code(rawValue: "truncated")
        /// The header declares more pixels than `DecodeLimits.maxPixels` allows.
        public static let tooLarge = Code(rawValue: "too-large")
        /// A side is shorter than `DecodeLimits.minSide`.
        public static let tooSmall = Code(rawValue: "too-small")
        /// A valid file using a feature or extension this module does not handle.
        public static let unsupported = Code(rawValue: "unsupported")
        /// The codec rejected the data (corrupt or malformed).
        public static let decodeFailed = Code(rawValue: "decode-failed")
        /// The codec could not encode the image.
        public static let encodeFailed = Code(rawValue: "encode-failed")
        /// Reading or writing the file failed.
        public static let io = Code(rawValue: "io")

        /// The stable string.
        public var description: String { rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// What went wrong and how to fix it.
    public var message: String
    /// The file involved, when there is one.
    public var path: String?

    /// Makes an error.
    public init(_ code: Code, _ message: String, path: String? = nil) {
        self.code = code
        self.message = message
        self.path = path
    }

    /// One line: `path: message (code)` or `message (code)`.
    public var description: String {
        if let path { return "\(path): \(message) (\(code))" }
        return "\(message) (\(code))"
    }

    /// The same error with `path` filled in if it was missing.
    func at(_ path: String) -> ImageError {
        var copy = self
        if copy.path == nil { copy.path = path }
        return copy
    }
}
