import FaceletPackage
import Foundation

extension Store {
    // MARK: - The remote registry's read documents (docs/remote.md)

    /// The whole catalogue as `GET /v1/index` serves it: packages by name, versions in natural
    /// order, tags, digests, sizes and backbone bindings, read in one transaction so the index
    /// and its change counter agree.
    public func registryIndex() throws(StoreError) -> RegistryIndex {
        try locked { () throws(StoreError) in
            try database.transaction(.deferred) { () throws(StoreError) in
                let counter = try database.firstRow(
                    "SELECT change_counter FROM store_state WHERE id = 1") { $0.int64(0) } ?? 0
                let packages = try database.rows(
                    "SELECT id, name, kind FROM packages ORDER BY name") { row in
                    (row.int64(0), row.text(1), row.text(2))
                }
                var entries: [RegistryIndex.Entry] = []
                for (id, name, kindText) in packages {
                    // The stored text of created_at, not a reformatted Date, so the index
                    // says exactly what the catalogue holds.
                    let versions = try database.rows(
                        Store.versionColumns + " WHERE v.package_id = ?", [.integer(id)]
                    ) { row throws(StoreError) in (try Store.versionRecord(row).1, row.text(7)) }
                    let tagPairs = try database.rows(
                        "SELECT t.tag, v.version FROM tags t "
                            + "JOIN versions v ON v.id = t.version_id WHERE t.package_id = ?",
                        [.integer(id)]) { ($0.text(0), $0.text(1)) }
                    let ordered = versions.sorted {
                        NaturalOrder.less($0.0.version, $1.0.version)
                    }
                    entries.append(RegistryIndex.Entry(
                        name: name, kind: try Store.kind(kindText),
                        tags: Dictionary(tagPairs, uniquingKeysWith: { first, _ in first }),
                        versions: ordered.map { record, createdAt in
                            RegistryIndex.Version(
                                version: record.version, digest: record.digest,
                                backbone: record.backbone, byteSize: record.byteSize,
                                createdAt: createdAt)
                        }))
                }
                return RegistryIndex(changeCounter: counter, packages: entries)
            }
        }
    }

    /// The version document of the version whose content digest is `digest`, as
    /// `GET /v1/versions/sha256/<hex>` serves it.
    /// - Throws: `StoreError` `.notFound` when no version has that digest.
    public func versionDocument(digest: Digest) throws(StoreError) -> VersionDocument {
        try locked { () throws(StoreError) in
            try database.transaction(.deferred) { () throws(StoreError) in
                let (id, record) = try versionRow(digest: digest)
                let manifestJSON = try database.firstRow(
                    "SELECT manifest_json FROM versions WHERE id = ?", [.integer(id)]
                ) { $0.text(0) } ?? ""
                let thumbnails = try database.rows(
                    "SELECT reference, level, blob_digest, stats_json FROM thumbnails "
                        + "WHERE version_id = ? ORDER BY reference, level", [.integer(id)]
                ) { row throws(StoreError) in
                    VersionDocument.Thumbnail(reference: row.text(0), level: row.text(1),
                                              digest: try Store.storedDigest(row.text(2)),
                                              statsJSON: row.text(3))
                }
                let signatures = try database.rows(
                    "SELECT key_id, public_key, signature FROM signatures "
                        + "WHERE content_digest = ? ORDER BY key_id",
                    [.text(digest.description)]
                ) { row in
                    SignatureRecord(keyID: row.text(0), publicKey: row.text(1),
                                    signature: row.text(2))
                }
                let tensors = try storedTensors(versionID: id).map { tensor in
                    VersionDocument.Tensor(name: tensor.name, dtype: tensor.dtype,
                                           shape: tensor.shape, digest: tensor.digest,
                                           byteSize: tensor.byteSize)
                }
                return VersionDocument(
                    name: record.name, version: record.version, kind: record.kind,
                    digest: record.digest, backbone: record.backbone,
                    manifestJSON: manifestJSON, tensors: tensors, thumbnails: thumbnails,
                    signatures: signatures)
            }
        }
    }

    /// The path of the blob file holding `digest`'s bytes (a tensor or a thumbnail), or nil
    /// when the store has no such file. The file is immutable once placed; its bytes are not
    /// re-hashed here (`verify` does that).
    public func blobFile(_ digest: Digest) -> String? {
        let path = blobPath(digest)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
              !isDirectory.boolValue else { return nil }
        return path
    }
}
