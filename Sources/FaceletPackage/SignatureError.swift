/// Why a key, a key file or a signature was refused (docs/remote.md, "Signatures").
///
/// `code` is stable (tests, the CLI's `--json` output and the registry match on it); `message`
/// says what went wrong and how to fix it; `context` carries the specifics (`file.path`,
/// `key.id`, `content.digest`) as dotted keys. Never carries private key material.
public struct SignatureError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A stable, machine-readable error code such as `signature.invalid`.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code's text, e.g. `signature.invalid`.
        public let rawValue: String

        /// Wraps a code's text.
        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// The code's text.
        public var description: String { rawValue }

        /// A key file is not PEM, or its PEM does not hold a key of the expected kind
        /// (private key in PKCS#8, public key in SubjectPublicKeyInfo).
        public static let badPEM = Code(rawValue: "signature.bad_pem")
        /// The key is a valid key of another algorithm (RSA, EC, Ed448, ...).
        public static let notEd25519 = Code(rawValue: "signature.not_ed25519")
        /// A signature record's `algorithm` is not `ed25519`.
        public static let unsupportedAlgorithm = Code(rawValue: "signature.unsupported_algorithm")
        /// A public key or signature is not canonical standard base64.
        public static let badBase64 = Code(rawValue: "signature.bad_base64")
        /// A raw public key is not 32 bytes or a signature is not 64 bytes.
        public static let badLength = Code(rawValue: "signature.bad_length")
        /// A key id is not `ed25519:` followed by 32 lowercase hex digits.
        public static let badKeyID = Code(rawValue: "signature.bad_key_id")
        /// A record's public key does not hash to its key id.
        public static let keyIDMismatch = Code(rawValue: "signature.key_id_mismatch")
        /// The signature does not verify over the content digest with the record's key.
        public static let invalid = Code(rawValue: "signature.invalid")
        /// A `Facelet-Signature` header value is not `ed25519 <key_id> <pub> <sig>`.
        public static let badHeader = Code(rawValue: "signature.bad_header")
        /// A key file could not be read or written.
        public static let io = Code(rawValue: "signature.io")
        /// A key file to be written already exists (keys are never overwritten).
        public static let fileExists = Code(rawValue: "signature.file_exists")
        /// libcrypto failed where it should not (out of memory, broken installation).
        public static let crypto = Code(rawValue: "signature.crypto")
    }

    /// The stable code.
    public let code: Code
    /// What went wrong and how to fix it, in one sentence or two.
    public let message: String
    /// Specifics as dotted keys (`file.path`, `key.id`, `content.digest`, ...).
    public let context: [String: String]

    /// Makes an error.
    public init(_ code: Code, _ message: String, context: [String: String] = [:]) {
        self.code = code
        self.message = message
        self.context = context
    }

    /// `code: message [key=value, ...]`.
    public var description: String {
        guard !context.isEmpty else { return "\(code): \(message)" }
        let pairs = context.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return "\(code): \(message) [\(pairs.joined(separator: ", "))]"
    }

    /// The same error with more context (existing keys win).
    func adding(_ extra: [String: String]) -> SignatureError {
        SignatureError(code, message, context: context.merging(extra) { old, _ in old })
    }
}
