import FaceletPackage
import Foundation

/// A public key recorded with `Store.trust`.
public struct TrustedKey: Sendable, Equatable {
    /// The key's id, `ed25519:<32 hex>`.
    public var keyID: KeyID
    /// The public key.
    public var publicKey: PublicKey
    /// A name for people (`trust --label`), if given.
    public var label: String?
    /// When it was trusted.
    public var added: Date
}

/// A signature as the store keeps it.
public struct StoredSignature: Sendable, Equatable {
    /// The signature record (verified when it was stored).
    public var record: SignatureRecord
    /// Whether its key is trusted now (same key id and public key in `trusted_keys`).
    public var trusted: Bool
    /// When it was recorded.
    public var created: Date
}
