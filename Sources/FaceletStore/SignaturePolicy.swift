import FaceletPackage
import Foundation

/// The signature policy of `pull` and `apply` (docs/remote.md, `policy.require_signature`).
///
/// A signature counts only if its public key hashes to its key id, that key is trusted in the
/// store (`Store.trust`), and it verifies over the content digest.
public enum SignaturePolicy {
    /// What `check` found, for the caller to record and report.
    public struct Outcome: Sendable, Equatable {
        /// The records that verify (trusted or not): pass these to `Store.publish`.
        public var verified: [SignatureRecord]
        /// The verified records whose key is trusted in the store.
        public var trusted: [SignatureRecord]
        /// The records that do not verify, each with why (only when the policy is off; with it
        /// on, any such record is refused).
        public var rejected: [Rejection]
    }

    /// A record that does not verify, and why.
    public struct Rejection: Sendable, Equatable {
        /// The record as received.
        public var record: SignatureRecord
        /// Why it was refused.
        public var error: SignatureError
    }

    /// Checks the signatures that came with a version against the policy.
    ///
    /// With `requireSignature` false nothing is refused: records that do not verify are only
    /// reported in `rejected` (and must not be stored). With it true, a record that does not
    /// verify refuses the version (`remote.bad_signature`), and so does the absence of a
    /// verified signature by a trusted key (`remote.unsigned`).
    /// - Parameters:
    ///   - signatures: The records received with the version (its version document).
    ///   - digest: The version's content digest, as recomputed by the caller.
    ///   - store: The store whose trusted keys count.
    ///   - requireSignature: `policy.require_signature` from registry.json.
    /// - Throws: `StoreError` `.badSignature` (`remote.bad_signature`), `.unsigned`
    ///   (`remote.unsigned`), or a database error reading the trusted keys.
    @discardableResult
    public static func check(
        _ signatures: [SignatureRecord], digest: Digest, store: Store, requireSignature: Bool
    ) throws(StoreError) -> Outcome {
        var outcome = Outcome(verified: [], trusted: [], rejected: [])
        for record in signatures {
            do {
                try record.verify(contentDigest: digest)
                outcome.verified.append(record)
            } catch {
                outcome.rejected.append(Rejection(record: record, error: error))
            }
        }
        if requireSignature, let first = outcome.rejected.first {
            throw StoreError(.badSignature,
                             "refused \(digest): the signature by \(first.record.keyID.prefix(80)) "
                                 + "does not verify (\(first.error.code): "
                                 + "\(first.error.message)); the registry holds altered data",
                             digest: digest.description)
        }
        let trusted = try store.trustedKeys()
        let trustedKeys = Set(trusted.map { "\($0.keyID.text) \($0.publicKey.base64)" })
        outcome.trusted = outcome.verified.filter {
            trustedKeys.contains("\($0.keyID) \($0.publicKey)")
        }
        if requireSignature, outcome.trusted.isEmpty {
            let signers = outcome.verified.map(\.keyID)
            let found = signers.isEmpty
                ? "it carries no signature"
                : "it is signed only by untrusted key(s) \(signers.joined(separator: ", "))"
            throw StoreError(.unsigned,
                             "refused \(digest): policy.require_signature is on and \(found); "
                                 + "trust the publisher's key with `facelet-registry trust "
                                 + "KEYFILE` or turn the policy off in registry.json",
                             digest: digest.description)
        }
        return outcome
    }
}
