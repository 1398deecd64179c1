/// The one error type of FaceletImport: why a checkpoint or safetensors file was refused, or why
/// an export failed.
///
/// `code` is stable (the CLI's `--json` output and tests match on it); `message` says what went
/// wrong and how to fix it; `context` carries specifics (file path, key, opcode) as dotted keys.
public struct ImportError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A stable, machine-readable error code such as `import.forbidden_global`.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code's text.
        public let rawValue: String

        /// Wraps a code's text.
        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// The code's text.
        public var description: String { rawValue }

        /// The file could not be read or written.
        public static let unreadable = Code(rawValue: "import.unreadable")
        /// The file is neither a PyTorch zip checkpoint nor a safetensors file.
        public static let unknownFormat = Code(rawValue: "import.unknown_format")
        /// The zip archive is damaged, or an entry is missing or cut short.
        public static let badArchive = Code(rawValue: "import.bad_archive")
        /// The pickle stream is malformed (truncated, bad stack, bad memo index).
        public static let badPickle = Code(rawValue: "import.bad_pickle")
        /// The pickle names a global outside the allow-list (e.g. `posix.system`).
        public static let forbiddenGlobal = Code(rawValue: "import.forbidden_global")
        /// The pickle uses an opcode the restricted reader does not understand.
        public static let forbiddenOpcode = Code(rawValue: "import.forbidden_opcode")
        /// The pickle is well formed but is not a state dict of tensors.
        public static let notStateDict = Code(rawValue: "import.not_state_dict")
        /// A storage holds fewer bytes than the tensors on it claim.
        public static let storageTooShort = Code(rawValue: "import.storage_too_short")
        /// A tensor's element type cannot be imported.
        public static let unsupportedDtype = Code(rawValue: "import.unsupported_dtype")
        /// A tensor's strides cannot be read (negative, overlapping, or overflowing).
        public static let badStrides = Code(rawValue: "import.bad_strides")
        /// The safetensors header is malformed.
        public static let badSafetensors = Code(rawValue: "import.bad_safetensors")
        /// No known key layout matches the checkpoint's names.
        public static let unknownLayout = Code(rawValue: "import.unknown_layout")
        /// The checkpoint holds keys the layout does not expect.
        public static let unexpectedKeys = Code(rawValue: "import.unexpected_keys")
        /// The checkpoint lacks keys the layout needs.
        public static let missingKeys = Code(rawValue: "import.missing_keys")
        /// A tensor's shape does not fit the architecture.
        public static let shapeMismatch = Code(rawValue: "import.shape_mismatch")
        /// The assembled package breaks a rule of the package format.
        public static let badPackage = Code(rawValue: "import.bad_package")
    }

    /// The stable code.
    public let code: Code
    /// What went wrong and how to fix it.
    public let message: String
    /// Specifics as dotted keys (`file.path`, `pickle.global`, `tensor.key`, …).
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
    func adding(_ extra: [String: String]) -> ImportError {
        ImportError(code, message, context: context.merging(extra) { old, _ in old })
    }
}
