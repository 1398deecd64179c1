import CCrypto
import Foundation

/// The Ed25519 operations the signing code needs, over libcrypto's EVP interface.
///
/// Keys cross this boundary as raw bytes (32-byte seed, 32-byte public key); every `EVP_PKEY`
/// lives in an `EVPKey` for the length of one call, so no C pointer escapes.
enum Ed25519 {
    /// Raw private key (seed) length in bytes.
    static let privateKeyLength = 32
    /// Raw public key length in bytes.
    static let publicKeyLength = 32
    /// Signature length in bytes.
    static let signatureLength = 64

    /// A fresh random 32-byte seed from OpenSSL's CSPRNG.
    static func randomSeed() throws(SignatureError) -> Data {
        var seed = [UInt8](repeating: 0, count: privateKeyLength)
        // > RAND_bytes() [returns] 1 on success, -1 if not supported by the current RAND
        // > method, or 0 on other failure.
        // https://www.openssl.org/docs/man3.0/man3/RAND_bytes.html
        guard RAND_bytes(&seed, Int32(privateKeyLength)) == 1 else {
            throw cryptoError("RAND_bytes could not produce random bytes")
        }
        return Data(seed)
    }

    /// The raw public key of a seed.
    static func publicKey(ofSeed seed: Data) throws(SignatureError) -> Data {
        let key = try EVPKey(privateSeed: seed)
        return try key.rawPublicKey()
    }

    /// The 64-byte signature of `message` by the key with this seed.
    static func sign(_ message: Data, seed: Data) throws(SignatureError) -> Data {
        let key = try EVPKey(privateSeed: seed)
        guard let context = EVP_MD_CTX_new() else { throw cryptoError("EVP_MD_CTX_new failed") }
        defer { EVP_MD_CTX_free(context) }
        // Ed25519 is a one-shot algorithm: the digest argument must be NULL and signing goes
        // through EVP_DigestSign, not Update/Final.
        // https://www.openssl.org/docs/man3.0/man7/EVP_SIGNATURE-ED25519.html
        guard EVP_DigestSignInit(context, nil, nil, nil, key.handle) == 1 else {
            throw cryptoError("EVP_DigestSignInit failed for an Ed25519 key")
        }
        var signature = [UInt8](repeating: 0, count: signatureLength)
        var length = signatureLength
        let ok = message.withUnsafeBytes { bytes in
            EVP_DigestSign(context, &signature, &length,
                           bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count)
        }
        guard ok == 1, length == signatureLength else {
            throw cryptoError("EVP_DigestSign failed")
        }
        return Data(signature)
    }

    /// Whether `signature` is a valid signature of `message` by `publicKey` (raw 32 bytes).
    static func verify(_ signature: Data, message: Data,
                       publicKey: Data) throws(SignatureError) -> Bool {
        let key = try EVPKey(rawPublicKey: publicKey)
        guard let context = EVP_MD_CTX_new() else { throw cryptoError("EVP_MD_CTX_new failed") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, nil, nil, key.handle) == 1 else {
            throw cryptoError("EVP_DigestVerifyInit failed for an Ed25519 key")
        }
        // > EVP_DigestVerify() [returns] 1 for success; any other value indicates failure. A
        // > return value of zero indicates that the signature did not verify successfully.
        // https://www.openssl.org/docs/man3.0/man3/EVP_DigestVerify.html
        let result = signature.withUnsafeBytes { sig in
            message.withUnsafeBytes { msg in
                EVP_DigestVerify(context, sig.bindMemory(to: UInt8.self).baseAddress, sig.count,
                                 msg.bindMemory(to: UInt8.self).baseAddress, msg.count)
            }
        }
        ERR_clear_error()
        return result == 1
    }

    // MARK: - PEM

    /// PEM PKCS#8 (`-----BEGIN PRIVATE KEY-----`) of a seed, unencrypted.
    static func privateKeyPEM(seed: Data) throws(SignatureError) -> Data {
        let key = try EVPKey(privateSeed: seed)
        return try writePEM { bio in
            // OpenSSL 3 writes PKCS#8 for PEM_write_bio_PrivateKey.
            PEM_write_bio_PrivateKey(bio, key.handle, nil, nil, 0, nil, nil)
        }
    }

    /// PEM SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`) of a raw public key.
    static func publicKeyPEM(raw: Data) throws(SignatureError) -> Data {
        let key = try EVPKey(rawPublicKey: raw)
        return try writePEM { bio in PEM_write_bio_PUBKEY(bio, key.handle) }
    }

    /// The seed of a PEM PKCS#8 Ed25519 private key.
    static func seed(fromPEM pem: Data) throws(SignatureError) -> Data {
        let key = try readPEM(pem, what: "private key (PEM PKCS#8, BEGIN PRIVATE KEY)") {
            facelet_read_private_key_pem($0, $1)
        }
        return try key.rawPrivateKey()
    }

    /// The raw public key of a PEM SubjectPublicKeyInfo Ed25519 public key.
    static func publicKey(fromPEM pem: Data) throws(SignatureError) -> Data {
        let what = "public key (PEM SubjectPublicKeyInfo, BEGIN PUBLIC KEY)"
        let key = try readPEM(pem, what: what) {
            facelet_read_public_key_pem($0, $1)
        }
        return try key.rawPublicKey()
    }

    private static func readPEM(
        _ pem: Data, what: String,
        _ read: (UnsafeRawPointer?, Int32) -> OpaquePointer?
    ) throws(SignatureError) -> EVPKey {
        guard pem.count <= 1 << 20 else {
            throw SignatureError(.badPEM, "a key file is at most 1 MiB; this is not an \(what)")
        }
        let handle = pem.withUnsafeBytes { read($0.baseAddress, Int32($0.count)) }
        guard let handle else {
            let detail = opensslErrors()
            throw SignatureError(.badPEM,
                                 "not an unencrypted Ed25519 \(what); make one with "
                                     + "`facelet-registry keygen`",
                                 context: detail.isEmpty ? [:] : ["openssl.error": detail])
        }
        let key = EVPKey(owning: handle)
        guard EVP_PKEY_get_id(key.handle) == EVP_PKEY_ED25519 else {
            let name = EVP_PKEY_get0_type_name(key.handle).map { String(cString: $0) } ?? "?"
            throw SignatureError(.notEd25519,
                                 "the key is \(name), not Ed25519; Facelet signs with Ed25519 "
                                     + "keys only (make one with `facelet-registry keygen`)",
                                 context: ["key.type": name])
        }
        return key
    }

    private static func writePEM(
        _ write: (OpaquePointer) -> Int32
    ) throws(SignatureError) -> Data {
        guard let bio = BIO_new(BIO_s_mem()) else { throw cryptoError("BIO_new failed") }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { throw cryptoError("writing PEM failed") }
        var pointer: UnsafeMutablePointer<CChar>?
        let length = facelet_bio_mem_data(bio, &pointer)
        guard let pointer, length > 0 else { throw cryptoError("PEM output is empty") }
        return Data(bytes: pointer, count: length)
    }

    // MARK: - Errors

    /// The queued OpenSSL error strings, joined, and the queue emptied.
    static func opensslErrors() -> String {
        var parts: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            parts.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) },
                                as: UTF8.self))
        }
        return parts.joined(separator: "; ")
    }

    static func cryptoError(_ what: String) -> SignatureError {
        let detail = opensslErrors()
        return SignatureError(.crypto,
                              "\(what); libcrypto (OpenSSL 3) may be broken on this machine",
                              context: detail.isEmpty ? [:] : ["openssl.error": detail])
    }
}

/// Owns one `EVP_PKEY` and frees it on deinit. Never leaves the `Ed25519` calls.
final class EVPKey {
    let handle: OpaquePointer

    init(owning handle: OpaquePointer) {
        self.handle = handle
    }

    convenience init(privateSeed seed: Data) throws(SignatureError) {
        precondition(seed.count == Ed25519.privateKeyLength, "an Ed25519 seed is 32 bytes")
        let handle = seed.withUnsafeBytes {
            EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil,
                                         $0.bindMemory(to: UInt8.self).baseAddress, $0.count)
        }
        guard let handle else { throw Ed25519.cryptoError("EVP_PKEY_new_raw_private_key failed") }
        self.init(owning: handle)
    }

    convenience init(rawPublicKey raw: Data) throws(SignatureError) {
        guard raw.count == Ed25519.publicKeyLength else {
            throw SignatureError(.badLength,
                                 "an Ed25519 public key is 32 bytes, not \(raw.count)")
        }
        let handle = raw.withUnsafeBytes {
            EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil,
                                        $0.bindMemory(to: UInt8.self).baseAddress, $0.count)
        }
        guard let handle else {
            throw SignatureError(.badLength, "not a valid Ed25519 public key",
                                 context: ["openssl.error": Ed25519.opensslErrors()])
        }
        self.init(owning: handle)
    }

    func rawPublicKey() throws(SignatureError) -> Data {
        var bytes = [UInt8](repeating: 0, count: Ed25519.publicKeyLength)
        var length = bytes.count
        guard EVP_PKEY_get_raw_public_key(handle, &bytes, &length) == 1,
              length == Ed25519.publicKeyLength
        else { throw Ed25519.cryptoError("EVP_PKEY_get_raw_public_key failed") }
        return Data(bytes)
    }

    func rawPrivateKey() throws(SignatureError) -> Data {
        var bytes = [UInt8](repeating: 0, count: Ed25519.privateKeyLength)
        var length = bytes.count
        guard EVP_PKEY_get_raw_private_key(handle, &bytes, &length) == 1,
              length == Ed25519.privateKeyLength
        else { throw Ed25519.cryptoError("EVP_PKEY_get_raw_private_key failed") }
        return Data(bytes)
    }

    deinit {
        EVP_PKEY_free(handle)
    }
}
