import FaceletPackage
import Foundation

extension Store {
    // MARK: - Signatures

    /// Records signatures of the version whose content digest is `digest`.
    ///
    /// Every record is verified first (`SignatureRecord.verify(contentDigest:)`); one that does
    /// not verify refuses the whole call and nothing is stored. A signature by a key that
    /// already signed this digest is skipped. New signatures are stored in one transaction with
    /// a `sign` audit entry. Trust is not required to record a signature.
    /// - Returns: How many signatures were new.
    /// - Throws: `.invalidSignature`, `.notFound` (no version has this digest), `.database`.
    @discardableResult
    public func recordSignatures(
        _ records: [SignatureRecord], for digest: Digest
    ) throws(StoreError) -> Int {
        try Store.verifySignatures(records, digest: digest)
        guard !records.isEmpty else { return 0 }
        return try locked { () throws(StoreError) in
            try database.transaction(.immediate) { () throws(StoreError) -> Int in
                let (_, version) = try versionRow(digest: digest)
                let added = try insertSignatures(records, digest: digest)
                if !added.isEmpty {
                    try audit(.sign, version.reference,
                              ["digest": digest.description,
                               "keys": added.joined(separator: " ")])
                }
                return added.count
            }
        }
    }

    /// The signatures recorded for `digest`, sorted by key id, each marked trusted or not.
    /// Empty when the digest has none (or is not in the store).
    public func signatures(for digest: Digest) throws(StoreError) -> [StoredSignature] {
        try locked { () throws(StoreError) in
            try database.rows(
                "SELECT s.key_id, s.public_key, s.signature, s.created_at, "
                    + "t.key_id IS NOT NULL FROM signatures s LEFT JOIN trusted_keys t "
                    + "ON t.key_id = s.key_id AND t.public_key = s.public_key "
                    + "WHERE s.content_digest = ? ORDER BY s.key_id",
                [.text(digest.description)]
            ) { row in
                StoredSignature(
                    record: SignatureRecord(keyID: row.text(0), publicKey: row.text(1),
                                            signature: row.text(2)),
                    trusted: row.int64(4) != 0, created: Timestamp.parse(row.text(3)))
            }
        }
    }

    /// The signatures of `digest` that count under the policy: recorded, by a trusted key (same
    /// key id and public key), and verifying now. Sorted by key id.
    public func trustedSignatures(for digest: Digest) throws(StoreError) -> [SignatureRecord] {
        try signatures(for: digest).filter(\.trusted).map(\.record).filter {
            (try? $0.verify(contentDigest: digest)) != nil
        }
    }

    // MARK: - Trusted keys

    /// Trusts `key`: signatures by it count for the signature policy.
    ///
    /// Trusting a trusted key again changes only its label (when `label` is given and
    /// differs). Appends a `trust` audit entry when something changed.
    /// - Returns: True if the key was not trusted before.
    /// - Throws: `.invalidLabel` (over 200 bytes, control characters), `.database`.
    @discardableResult
    public func trust(_ key: PublicKey, label: String? = nil) throws(StoreError) -> Bool {
        if let label { try Store.checkLabel(label) }
        return try locked { () throws(StoreError) in
            try database.transaction(.immediate) { () throws(StoreError) -> Bool in
                let existing = try database.firstRow(
                    "SELECT label FROM trusted_keys WHERE key_id = ?",
                    [.text(key.keyID.text)]) { $0.optionalText(0) }
                var detail = ["public_key": key.base64]
                if let label { detail["label"] = label }
                switch existing {
                case .none:
                    try database.run(
                        "INSERT INTO trusted_keys (key_id, public_key, label, added_at) "
                            + "VALUES (?, ?, ?, ?)",
                        [.text(key.keyID.text), .text(key.base64), .optionalText(label),
                         .text(Timestamp.now())])
                    try audit(.trust, key.keyID.text, detail)
                    return true
                case .some(let previous):
                    guard let label, label != previous else { return false }
                    try database.run("UPDATE trusted_keys SET label = ? WHERE key_id = ?",
                                     [.text(label), .text(key.keyID.text)])
                    if let previous { detail["previous_label"] = previous }
                    try audit(.trust, key.keyID.text, detail)
                    return false
                }
            }
        }
    }

    /// Stops trusting the key `keyID`. Its signatures stay recorded but no longer count.
    /// - Throws: `.notFound` if the key is not trusted, `.database`.
    public func untrust(_ keyID: KeyID) throws(StoreError) {
        try locked { () throws(StoreError) in
            try database.transaction(.immediate) { () throws(StoreError) in
                let label = try database.firstRow(
                    "SELECT label FROM trusted_keys WHERE key_id = ?",
                    [.text(keyID.text)]) { $0.optionalText(0) }
                guard let label else {
                    throw StoreError(.notFound,
                                     "key \(keyID) is not trusted; `trust --list` shows the "
                                         + "trusted keys")
                }
                try database.run("DELETE FROM trusted_keys WHERE key_id = ?",
                                 [.text(keyID.text)])
                var detail: [String: String] = [:]
                if let label { detail["label"] = label }
                try audit(.untrust, keyID.text, detail)
            }
        }
    }

    /// Every trusted key, sorted by key id.
    public func trustedKeys() throws(StoreError) -> [TrustedKey] {
        try locked { () throws(StoreError) in
            try database.rows(
                "SELECT key_id, public_key, label, added_at FROM trusted_keys ORDER BY key_id"
            ) { (row: Statement) throws(StoreError) -> TrustedKey in
                let keyID = row.text(0)
                guard let publicKey = try? PublicKey(base64: row.text(1)),
                      publicKey.keyID.text == keyID
                else {
                    throw StoreError(.integrity,
                                     "trusted key \(keyID) is malformed or does not match its "
                                         + "public key in the catalogue; remove it with "
                                         + "`trust --remove \(keyID)`")
                }
                return TrustedKey(keyID: publicKey.keyID, publicKey: publicKey,
                                  label: row.optionalText(2), added: Timestamp.parse(row.text(3)))
            }
        }
    }

    // MARK: - Internals

    /// Verifies every record over `digest`; the first failure refuses them all.
    static func verifySignatures(_ records: [SignatureRecord],
                                 digest: Digest) throws(StoreError) {
        for record in records {
            do {
                try record.verify(contentDigest: digest)
            } catch {
                throw StoreError(.invalidSignature,
                                 "refused a signature of \(digest): \(error)",
                                 digest: digest.description)
            }
        }
    }

    /// Inserts signature rows (call inside a write transaction); returns the key ids that were
    /// new, sorted.
    func insertSignatures(_ records: [SignatureRecord],
                          digest: Digest) throws(StoreError) -> [String] {
        var added: [String] = []
        let now = Timestamp.now()
        for record in records {
            try database.run(
                "INSERT INTO signatures (content_digest, key_id, public_key, signature, "
                    + "created_at) VALUES (?, ?, ?, ?, ?) "
                    + "ON CONFLICT (content_digest, key_id) DO NOTHING",
                [.text(digest.description), .text(record.keyID), .text(record.publicKey),
                 .text(record.signature), .text(now)])
            if database.changes > 0 { added.append(record.keyID) }
        }
        return added.sorted()
    }

    /// Labels are for people: at most 200 bytes, no control characters.
    static func checkLabel(_ label: String) throws(StoreError) {
        let control = label.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }
        guard label.utf8.count <= 200, !control else {
            throw StoreError(.invalidLabel,
                             "a key label is at most 200 bytes without control characters")
        }
    }
}
