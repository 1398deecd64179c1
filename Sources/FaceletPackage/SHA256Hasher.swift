import CCrypto
import Foundation

/// Incremental SHA-256 through OpenSSL's EVP interface, for hashing data that arrives in pieces.
///
/// Copies are independent: a copy that is updated gets its own OpenSSL context first.
public struct SHA256Hasher {
    private var context: EVPContext

    /// Starts an empty hash.
    public init() {
        context = EVPContext()
    }

    /// Feeds `bytes` into the hash.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0, let base = bytes.baseAddress else { return }
        if !isKnownUniquelyReferenced(&context) {
            context = context.copy()
        }
        // > EVP_DigestUpdate() returns 1 for success and 0 for failure.
        // https://www.openssl.org/docs/man3.0/man3/EVP_DigestUpdate.html
        let ok = EVP_DigestUpdate(context.handle, base, bytes.count)
        precondition(ok == 1, "EVP_DigestUpdate failed")
    }

    /// Feeds `data` into the hash.
    public mutating func update(_ data: Data) {
        data.withUnsafeBytes { update($0) }
    }

    /// The digest of everything fed in.
    public consuming func finalize() -> Digest {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        // Finalising a context that a copy of this hasher still shares would spoil the copy.
        let owned = isKnownUniquelyReferenced(&context) ? context : context.copy()
        let ok = out.withUnsafeMutableBufferPointer {
            EVP_DigestFinal_ex(owned.handle, $0.baseAddress, &length)
        }
        precondition(ok == 1 && length == 32, "EVP_DigestFinal_ex failed")
        return Digest(validHex: Digest.hexString(out.prefix(32)))
    }
}

/// Owns one `EVP_MD_CTX` set up for SHA-256 and frees it on deinit.
private final class EVPContext {
    let handle: OpaquePointer

    init() {
        guard let ctx = EVP_MD_CTX_new() else { preconditionFailure("EVP_MD_CTX_new failed") }
        let ok = EVP_DigestInit_ex(ctx, EVP_sha256(), nil)
        precondition(ok == 1, "EVP_DigestInit_ex(sha256) failed")
        handle = ctx
    }

    private init(handle: OpaquePointer) {
        self.handle = handle
    }

    /// A new context in the same state.
    func copy() -> EVPContext {
        guard let ctx = EVP_MD_CTX_new() else { preconditionFailure("EVP_MD_CTX_new failed") }
        let ok = EVP_MD_CTX_copy_ex(ctx, handle)
        precondition(ok == 1, "EVP_MD_CTX_copy_ex failed")
        return EVPContext(handle: ctx)
    }

    deinit {
        EVP_MD_CTX_free(handle)
    }
}
