import Foundation

/// An Ed25519 private key, for signing content digests.
///
/// Holds the 32-byte seed; `description` shows only the key id, so logging a `SigningKey`
/// never leaks it.
public struct SigningKey: Sendable, CustomStringConvertible {
    /// The raw 32-byte private key (RFC 8032 seed).
    private let seed: Data
    /// The matching public key.
    public let publicKey: PublicKey

    private init(seed: Data) throws(SignatureError) {
        self.seed = seed
        publicKey = try PublicKey(raw: Ed25519.publicKey(ofSeed: seed))
    }

    /// A new random key (OpenSSL's CSPRNG).
    /// - Throws: `SignatureError` `.crypto` only if libcrypto fails.
    public static func generate() throws(SignatureError) -> SigningKey {
        try SigningKey(seed: Ed25519.randomSeed())
    }

    /// Reads an unencrypted PEM PKCS#8 (`-----BEGIN PRIVATE KEY-----`) Ed25519 key.
    /// - Throws: `SignatureError` `.badPEM` (not PEM, encrypted, a public key) or `.notEd25519`.
    public init(pem: Data) throws(SignatureError) {
        try self.init(seed: Ed25519.seed(fromPEM: pem))
    }

    /// Reads a private key file (`NAME.key`, as `keygen` writes it).
    /// - Throws: `SignatureError` `.io`, `.badPEM` or `.notEd25519`, with `file.path`.
    public init(contentsOf path: String) throws(SignatureError) {
        // TODO: warn (as ssh does) when the private key file is readable by group or others.
        let pem = try KeyFile.read(path)
        do {
            try self.init(pem: pem)
        } catch {
            throw error.adding(["file.path": path])
        }
    }

    /// The key as unencrypted PEM PKCS#8 text.
    public func pem() throws(SignatureError) -> Data {
        try Ed25519.privateKeyPEM(seed: seed)
    }

    /// Writes the PEM to a new file with mode 0600; never overwrites.
    /// - Throws: `SignatureError` `.fileExists` or `.io`.
    public func write(to path: String) throws(SignatureError) {
        try KeyFile.writeNew(pem(), to: path, mode: 0o600)
    }

    /// Signs a package's content digest: the message is `facelet-signature-v1\n` followed by
    /// `sha256:<hex>` (no trailing newline).
    /// - Throws: `SignatureError` `.crypto` only if libcrypto fails.
    public func sign(contentDigest: Digest) throws(SignatureError) -> SignatureRecord {
        let signature = try Ed25519.sign(SignatureRecord.message(for: contentDigest), seed: seed)
        return SignatureRecord(keyID: publicKey.keyID.text, publicKey: publicKey.base64,
                               signature: signature.base64EncodedString())
    }

    /// `SigningKey(<key id>)`; never the key material.
    public var description: String { "SigningKey(\(publicKey.keyID))" }
}
