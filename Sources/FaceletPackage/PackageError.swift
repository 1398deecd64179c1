/// The one error type of FaceletPackage: why a package, manifest, name or digest was refused.
///
/// `code` is stable (tests, the CLI's `--json` output and the registry match on it); `message`
/// says what went wrong and how to fix it; `context` carries the specifics (tensor name, offset,
/// digest) as dotted keys.
public struct PackageError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A stable, machine-readable error code such as `package.truncated`.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code's text, e.g. `package.truncated`.
        public let rawValue: String

        /// Wraps a code's text.
        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// The code's text.
        public var description: String { rawValue }

        /// The file could not be read from disk.
        public static let unreadable = Code(rawValue: "package.unreadable")
        /// The file ends before the header length, the header or the data section.
        public static let truncated = Code(rawValue: "package.truncated")
        /// The header length is above the 16 MiB cap.
        public static let headerTooLarge = Code(rawValue: "package.header_too_large")
        /// The header is not UTF-8 JSON or not an object.
        public static let badJSON = Code(rawValue: "package.bad_json")
        /// A header entry lacks or mistypes `dtype`, `shape`, `data_offsets` or `__metadata__`.
        public static let badHeader = Code(rawValue: "package.bad_header")
        /// A tensor name is empty or longer than 256 bytes.
        public static let badTensorName = Code(rawValue: "package.bad_tensor_name")
        /// A dtype the reader does not support.
        public static let badDtype = Code(rawValue: "package.bad_dtype")
        /// A negative dimension or an element count that overflows.
        public static let badShape = Code(rawValue: "package.bad_shape")
        /// A tensor's byte range does not fit its shape and dtype, or runs past the data.
        public static let offsets = Code(rawValue: "package.offsets")
        /// Two tensors' byte ranges overlap.
        public static let overlap = Code(rawValue: "package.overlap")
        /// The byte ranges leave a gap or trailing bytes in the data section.
        public static let gap = Code(rawValue: "package.gap")
        /// A tensor name appears twice.
        public static let duplicateName = Code(rawValue: "package.duplicate_name")
        /// A tensor holds NaN or an infinity.
        public static let nonFinite = Code(rawValue: "package.non_finite")
        /// A tensor's SHA-256 differs from the one the manifest lists.
        public static let digestMismatch = Code(rawValue: "package.digest_mismatch")
        /// A digest string is not `sha256:` plus 64 lowercase hex digits.
        public static let badDigest = Code(rawValue: "package.bad_digest")
        /// The header metadata lacks `facelet.manifest` or `facelet.format` is not `"1"`.
        public static let badMetadata = Code(rawValue: "package.bad_metadata")
        /// The manifest is not valid JSON of the documented shape, or breaks a rule.
        public static let badManifest = Code(rawValue: "package.bad_manifest")
        /// An architecture description breaks a rule of docs/architecture.md.
        public static let badArchitecture = Code(rawValue: "package.bad_architecture")
        /// A package name breaks the naming rule.
        public static let badName = Code(rawValue: "package.bad_name")
        /// A version string breaks the naming rule.
        public static let badVersion = Code(rawValue: "package.bad_version")
        /// A tag breaks the naming rule.
        public static let badTag = Code(rawValue: "package.bad_tag")
        /// A tensor the manifest or the architecture requires is absent.
        public static let missingTensor = Code(rawValue: "package.missing_tensor")
        /// A tensor is present that the manifest or the architecture does not list.
        public static let unexpectedTensor = Code(rawValue: "package.unexpected_tensor")
        /// A tensor's shape is not the one the architecture or bank layout requires.
        public static let shapeMismatch = Code(rawValue: "package.shape_mismatch")
        /// A bank does not fit the backbone it is checked against.
        public static let backboneMismatch = Code(rawValue: "package.backbone_mismatch")
    }

    /// The stable code.
    public let code: Code
    /// What went wrong and how to fix it, in one sentence or two.
    public let message: String
    /// Specifics as dotted keys (`tensor.name`, `file.path`, …).
    public let context: [String: String]

    /// Makes an error.
    public init(_ code: Code, _ message: String, context: [String: String] = [:]) {
        self.code = code
        self.message = message
        self.context = context
    }

    /// `code: message [key=value, …]`.
    public var description: String {
        guard !context.isEmpty else { return "\(code): \(message)" }
        let pairs = context.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return "\(code): \(message) [\(pairs.joined(separator: ", "))]"
    }

    /// The same error with more context (existing keys win).
    func adding(_ extra: [String: String]) -> PackageError {
        PackageError(code, message, context: context.merging(extra) { old, _ in old })
    }
}
