import Foundation

/// An Ed25519 public key: the raw 32 bytes and the key id derived from them.
public struct PublicKey: Hashable, Sendable, CustomStringConvertible {
    /// The raw 32-byte public key.
    public let raw: Data
    /// `ed25519:` + the first 32 hex digits of SHA-256 over `raw`.
    public let keyID: KeyID

    /// Wraps a raw 32-byte public key.
    /// - Throws: `SignatureError` `.badLength` when `raw` is not 32 bytes.
    public init(raw: Data) throws(SignatureError) {
        guard raw.count == Ed25519.publicKeyLength else {
            throw SignatureError(.badLength,
                                 "an Ed25519 public key is 32 bytes, not \(raw.count)")
        }
        self.raw = Data(raw)
        keyID = KeyID(rawPublicKey: raw)
    }

    /// Decodes the base64 of the raw 32 bytes (the `public_key` field of a signature record).
    /// - Throws: `SignatureError` `.badBase64` or `.badLength`.
    public init(base64: String) throws(SignatureError) {
        try self.init(raw: Base64.decode(base64, what: "public key"))
    }

    /// Reads a PEM SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`) Ed25519 key.
    /// - Throws: `SignatureError` `.badPEM` or `.notEd25519`.
    public init(pem: Data) throws(SignatureError) {
        try self.init(raw: Ed25519.publicKey(fromPEM: pem))
    }

    /// Reads a public key file (`NAME.pub`, as `keygen` writes it).
    /// - Throws: `SignatureError` `.io`, `.badPEM` or `.notEd25519`, with `file.path`.
    public init(contentsOf path: String) throws(SignatureError) {
        let pem = try KeyFile.read(path)
        do {
            try self.init(pem: pem)
        } catch {
            throw error.adding(["file.path": path])
        }
    }

    /// The base64 of the raw 32 bytes.
    public var base64: String { raw.base64EncodedString() }

    /// The key as PEM SubjectPublicKeyInfo text.
    public func pem() throws(SignatureError) -> Data {
        try Ed25519.publicKeyPEM(raw: raw)
    }

    /// Writes the PEM to a new file (mode 0644); never overwrites.
    /// - Throws: `SignatureError` `.fileExists` or `.io`.
    public func write(to path: String) throws(SignatureError) {
        try KeyFile.writeNew(pem(), to: path, mode: 0o644)
    }

    /// The key id.
    public var description: String { keyID.description }
}

/// A key's id: `ed25519:` + the first 32 lowercase hex digits of SHA-256 over the raw 32-byte
/// public key (docs/remote.md, "Signatures").
public struct KeyID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The id's text, e.g. `ed25519:0123456789abcdef0123456789abcdef`.
    public let text: String

    /// The prefix of every key id.
    public static let prefix = "ed25519:"

    /// The id of a raw public key (any length; callers check 32 bytes).
    init(rawPublicKey raw: Data) {
        text = KeyID.prefix + String(Digest.sha256(raw).hex.prefix(32))
    }

    /// Parses a key id.
    /// - Throws: `SignatureError` `.badKeyID` unless the text is `ed25519:` + 32 lowercase hex.
    public init(parsing text: String) throws(SignatureError) {
        let body = text.hasPrefix(KeyID.prefix) ? Substring(text.utf8.dropFirst(8)) : ""
        let isHex = body.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
        guard body.utf8.count == 32, isHex else {
            throw SignatureError(.badKeyID,
                                 "a key id is \"ed25519:\" followed by 32 lowercase hex digits "
                                     + "(see `facelet-registry trust --list`)",
                                 context: ["key.id": String(text.prefix(80))])
        }
        self.text = text
    }

    /// The id's text.
    public var description: String { text }

    /// Orders by text.
    public static func < (lhs: KeyID, rhs: KeyID) -> Bool { lhs.text < rhs.text }

    /// Decodes from the id's text, checking its form.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: error.message))
        }
    }

    /// Encodes as the id's text.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

/// Strict standard base64 (RFC 4648 section 4, padded): one spelling per byte string.
enum Base64 {
    /// Decodes `text`, refusing whitespace, missing padding and non-zero trailing bits.
    static func decode(_ text: String, what: String) throws(SignatureError) -> Data {
        guard text.utf8.count <= 4096, let data = Data(base64Encoded: text),
              data.base64EncodedString() == text
        else {
            throw SignatureError(.badBase64,
                                 "the \(what) is not canonical standard base64 (A-Z a-z 0-9 + /, "
                                     + "padded with =)",
                                 context: ["base64.text": String(text.prefix(100))])
        }
        return data
    }
}
