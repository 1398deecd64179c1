import Foundation

/// One signature over a package's content digest, as stored, served and sent
/// (docs/remote.md, "Signatures").
///
/// JSON: `{"algorithm": "ed25519", "key_id": "ed25519:<32 hex>", "public_key": "<base64 of 32
/// bytes>", "signature": "<base64 of 64 bytes>"}`. The fields are kept as received; decoding
/// checks nothing, `verify(contentDigest:)` checks everything.
public struct SignatureRecord: Codable, Hashable, Sendable {
    /// The only algorithm: `ed25519`.
    public static let ed25519 = "ed25519"
    /// The prefix of the signed message.
    public static let messagePrefix = "facelet-signature-v1\n"

    /// The algorithm name; must be `ed25519`.
    public var algorithm: String
    /// The signer's key id, `ed25519:<32 hex>`.
    public var keyID: String
    /// The base64 of the signer's raw 32-byte public key.
    public var publicKey: String
    /// The base64 of the 64-byte signature.
    public var signature: String

    /// Makes a record from its wire fields (unchecked; see `verify(contentDigest:)`).
    public init(algorithm: String = SignatureRecord.ed25519, keyID: String, publicKey: String,
                signature: String) {
        self.algorithm = algorithm
        self.keyID = keyID
        self.publicKey = publicKey
        self.signature = signature
    }

    enum CodingKeys: String, CodingKey {
        case algorithm
        case keyID = "key_id"
        case publicKey = "public_key"
        case signature
    }

    /// The signed message: `facelet-signature-v1\n` + `sha256:<hex>`, UTF-8, no newline after.
    public static func message(for contentDigest: Digest) -> Data {
        Data((messagePrefix + contentDigest.description).utf8)
    }

    /// Checks the algorithm, the base64 and length of the public key, that it hashes to
    /// `keyID`, and returns it. Says nothing about the signature or about trust.
    /// - Throws: `SignatureError` `.unsupportedAlgorithm`, `.badKeyID`, `.badBase64`,
    ///   `.badLength` or `.keyIDMismatch`, with `key.id`.
    public func checkedPublicKey() throws(SignatureError) -> PublicKey {
        let context = ["key.id": String(keyID.prefix(80))]
        guard algorithm == SignatureRecord.ed25519 else {
            throw SignatureError(.unsupportedAlgorithm,
                                 "signature algorithm \"\(algorithm.prefix(40))\" is not "
                                     + "supported; Facelet signatures are ed25519",
                                 context: context)
        }
        do throws(SignatureError) {
            let claimed = try KeyID(parsing: keyID)
            let key = try PublicKey(base64: publicKey)
            guard key.keyID == claimed else {
                throw SignatureError(.keyIDMismatch,
                                     "the signature's public key hashes to \(key.keyID), not to "
                                         + "its key id; the record was altered")
            }
            return key
        } catch {
            throw error.adding(context)
        }
    }

    /// Checks that the public key hashes to the key id and that the signature verifies over
    /// `message(for: contentDigest)`. Says nothing about trust (see the store's trusted keys).
    /// - Throws: `SignatureError` `.invalid` when the signature does not verify; the codes of
    ///   `checkedPublicKey()`; `.badBase64` / `.badLength` for a malformed signature.
    public func verify(contentDigest: Digest) throws(SignatureError) {
        let key = try checkedPublicKey()
        let context = ["key.id": keyID, "content.digest": contentDigest.description]
        let bytes: Data
        do {
            bytes = try Base64.decode(signature, what: "signature")
        } catch {
            throw error.adding(context)
        }
        guard bytes.count == Ed25519.signatureLength else {
            throw SignatureError(.badLength,
                                 "an Ed25519 signature is 64 bytes, not \(bytes.count)",
                                 context: context)
        }
        let valid = try Ed25519.verify(bytes, message: SignatureRecord.message(for: contentDigest),
                                       publicKey: key.raw)
        guard valid else {
            throw SignatureError(.invalid,
                                 "the signature by \(keyID) does not verify over "
                                     + "\(contentDigest); the package or the signature was "
                                     + "changed after signing",
                                 context: context)
        }
    }

    // MARK: - HTTP header form

    /// The `Facelet-Signature` header value: `ed25519 <key_id> <base64 public key> <base64
    /// signature>`.
    public var headerValue: String {
        "\(algorithm) \(keyID) \(publicKey) \(signature)"
    }

    /// Parses a `Facelet-Signature` header value (fields separated by single spaces; surrounding
    /// whitespace ignored). Does not verify.
    /// - Throws: `SignatureError` `.badHeader` when it is not four fields.
    public init(headerValue: String) throws(SignatureError) {
        let fields = headerValue.trimmingCharacters(in: .whitespaces)
            .split(separator: " ", omittingEmptySubsequences: true)
        guard headerValue.utf8.count <= 1024, fields.count == 4 else {
            throw SignatureError(.badHeader,
                                 "a Facelet-Signature header is \"ed25519 <key_id> <base64 "
                                     + "public key> <base64 signature>\"")
        }
        self.init(algorithm: String(fields[0]), keyID: String(fields[1]),
                  publicKey: String(fields[2]), signature: String(fields[3]))
    }
}
