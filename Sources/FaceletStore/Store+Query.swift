import FaceletPackage
import Foundation

extension Store {
    // MARK: - Listing and resolving

    /// Every package with its versions (natural order) and tags, sorted by name.
    public func list() throws(StoreError) -> [PackageSummary] {
        try locked { () throws(StoreError) in
            try database.transaction(.deferred) { () throws(StoreError) in
                let packages = try database.rows(
                    "SELECT id, name, kind FROM packages ORDER BY name") { row in
                    (row.int64(0), row.text(1), row.text(2))
                }
                var summaries: [PackageSummary] = []
                for (id, name, kindText) in packages {
                    let versions = try database.rows(
                        "SELECT version FROM versions WHERE package_id = ?", [.integer(id)]
                    ) { $0.text(0) }.sorted(by: NaturalOrder.less)
                    let tagPairs = try database.rows(
                        "SELECT t.tag, v.version FROM tags t "
                            + "JOIN versions v ON v.id = t.version_id WHERE t.package_id = ?",
                        [.integer(id)]
                    ) { ($0.text(0), $0.text(1)) }
                    let tags = Dictionary(tagPairs, uniquingKeysWith: { first, _ in first })
                    summaries.append(PackageSummary(
                        name: name, kind: try Store.kind(kindText), versions: versions,
                        latest: tags[Reference.latestTag] ?? versions.last ?? "", tags: tags))
                }
                return summaries
            }
        }
    }

    /// Finds the version `reference` names.
    /// - Throws: `StoreError` `.notFound` naming what is missing.
    public func resolve(_ reference: Reference) throws(StoreError) -> VersionRecord {
        try locked { () throws(StoreError) in try resolveRow(reference).record }
    }

    /// The manifest, tensors, tags and thumbnails of the version `reference` names.
    public func show(_ reference: Reference) throws(StoreError) -> VersionDetail {
        try locked { () throws(StoreError) in
            try database.transaction(.deferred) { () throws(StoreError) in
                let (id, record) = try resolveRow(reference)
                let manifestJSON = try database.firstRow(
                    "SELECT manifest_json FROM versions WHERE id = ?", [.integer(id)]
                ) { $0.text(0) } ?? ""
                let manifest: Manifest
                do {
                    manifest = try Manifest.decode(Data(manifestJSON.utf8))
                } catch {
                    let problem = "\(error)"
                    throw StoreError(.integrity,
                                     "the stored manifest of \(record.reference) does not "
                                         + "decode: \(problem)",
                                     digest: record.digest.description)
                }
                let tags = try database.rows(
                    "SELECT tag FROM tags WHERE version_id = ? ORDER BY tag", [.integer(id)]
                ) { $0.text(0) }
                let thumbnails = try database.rows(
                    "SELECT reference, level, blob_digest, stats_json FROM thumbnails "
                        + "WHERE version_id = ? ORDER BY reference, level", [.integer(id)]
                ) { row throws(StoreError) in
                    ThumbnailRecord(reference: row.text(0), level: row.text(1),
                                    digest: try Store.storedDigest(row.text(2)),
                                    statsJSON: row.text(3))
                }
                return VersionDetail(record: record, manifest: manifest,
                                     tensors: try storedTensors(versionID: id), tags: tags,
                                     thumbnails: thumbnails)
            }
        }
    }

    // MARK: - Loading and exporting

    /// Rebuilds the package `reference` names from its blobs, re-hashing every tensor.
    /// - Throws: `StoreError` `.integrity` if a blob is missing or damaged.
    public func loadPackage(_ reference: Reference) throws(StoreError) -> Package {
        try locked { () throws(StoreError) in
            let (id, record) = try resolveRow(reference)
            return try assemble(versionID: id, record: record).package
        }
    }

    /// Rebuilds the package with content digest `digest` (e.g. a bank's backbone).
    /// - Throws: `StoreError` `.notFound` if no version has that digest.
    public func loadPackage(digest: Digest) throws(StoreError) -> Package {
        try locked { () throws(StoreError) in
            let (id, record) = try versionRow(digest: digest)
            return try assemble(versionID: id, record: record).package
        }
    }

    /// The package file of `reference` as `PackageWriter` lays it out; reading it back gives
    /// the same content digest.
    public func export(_ reference: Reference) throws(StoreError) -> Data {
        try locked { () throws(StoreError) in
            let (id, record) = try resolveRow(reference)
            return try assemble(versionID: id, record: record).data
        }
    }

    /// Which tensors differ between two versions (by name, dtype, shape and bytes' digest).
    public func diff(_ a: Reference, _ b: Reference) throws(StoreError) -> TensorDiff {
        try locked { () throws(StoreError) in
            let first = try storedTensors(versionID: try resolveRow(a).id)
            let second = try storedTensors(versionID: try resolveRow(b).id)
            let left = Dictionary(first.map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
            let right = Dictionary(second.map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
            var result = TensorDiff(changed: [], added: [], removed: [], unchanged: [])
            for (name, tensor) in left {
                if let other = right[name] {
                    if other == tensor {
                        result.unchanged.append(name)
                    } else {
                        result.changed.append(name)
                    }
                } else {
                    result.removed.append(name)
                }
            }
            result.added = right.keys.filter { left[$0] == nil }
            result.changed.sort()
            result.added.sort()
            result.removed.sort()
            result.unchanged.sort()
            return result
        }
    }

    /// The PNG bytes of a stored thumbnail, re-hashed.
    /// - Throws: `.notFound` if no thumbnail has that digest, `.integrity` if the blob is bad.
    public func thumbnailData(_ digest: Digest) throws(StoreError) -> Data {
        try locked { () throws(StoreError) in
            let known = try database.firstRow(
                "SELECT 1 FROM thumbnails WHERE blob_digest = ? LIMIT 1",
                [.text(digest.description)]) { _ in true } ?? false
            guard known else {
                throw StoreError(.notFound, "no thumbnail \(digest) in the store",
                                 digest: digest.description)
            }
            return try readBlob(digest)
        }
    }

    // MARK: - Audit and change detection

    /// The newest `limit` audit entries, newest first.
    public func auditLog(limit: Int) throws(StoreError) -> [AuditEntry] {
        try locked { () throws(StoreError) in
            try database.rows(
                "SELECT id, at, action, subject, detail_json FROM audit_log "
                    + "ORDER BY id DESC LIMIT ?", [.integer(Int64(max(0, limit)))]
            ) { row throws(StoreError) in
                guard let action = AuditAction(rawValue: row.text(2)) else {
                    throw StoreError(.integrity, "unknown audit action \(row.text(2))")
                }
                return AuditEntry(id: row.int64(0), time: Timestamp.parse(row.text(1)),
                                  action: action, subject: row.text(3),
                                  detailJSON: row.text(4))
            }
        }
    }

    /// A number that grows with every write transaction (publish, tag, rm, gc) by any
    /// process; poll it to notice changes cheaply.
    public func changeCounter() throws(StoreError) -> Int64 {
        try locked { () throws(StoreError) in
            try database.firstRow("SELECT change_counter FROM store_state WHERE id = 1") {
                $0.int64(0)
            } ?? 0
        }
    }

    // MARK: - Internals (call with the lock held)

    static let versionColumns = """
        SELECT v.id, p.name, p.kind, v.version, v.content_digest, v.backbone_digest,
               v.byte_size, v.created_at
        FROM versions v JOIN packages p ON p.id = v.package_id
        """

    /// Maps a row selected with `versionColumns`.
    static func versionRecord(_ row: Statement) throws(StoreError) -> (Int64, VersionRecord) {
        let backbone = try row.optionalText(5).map { (text) throws(StoreError) in
            try storedDigest(text)
        }
        return (row.int64(0), VersionRecord(
            name: row.text(1), kind: try kind(row.text(2)), version: row.text(3),
            digest: try storedDigest(row.text(4)), backbone: backbone,
            byteSize: row.int64(6), created: Timestamp.parse(row.text(7))))
    }

    static func kind(_ text: String) throws(StoreError) -> PackageKind {
        guard let kind = PackageKind(rawValue: text) else {
            throw StoreError(.integrity, "unknown package kind \(text) in the catalogue")
        }
        return kind
    }

    /// The version row `reference` names.
    func resolveRow(
        _ reference: Reference
    ) throws(StoreError) -> (id: Int64, record: VersionRecord) {
        let found: (Int64, VersionRecord)?
        switch reference.selector {
        case .latest:
            found = try database.firstRow(
                Store.versionColumns + " JOIN tags t ON t.version_id = v.id "
                    + "WHERE p.name = ? AND t.tag = ?",
                [.text(reference.name), .text(Reference.latestTag)], Store.versionRecord)
        case .version(let version):
            found = try database.firstRow(
                Store.versionColumns + " WHERE p.name = ? AND v.version = ?",
                [.text(reference.name), .text(version)], Store.versionRecord)
        case .tag(let tag):
            found = try database.firstRow(
                Store.versionColumns + " JOIN tags t ON t.version_id = v.id "
                    + "WHERE p.name = ? AND t.tag = ?",
                [.text(reference.name), .text(tag)], Store.versionRecord)
        }
        if let found { return found }
        let packageExists = try database.firstRow(
            "SELECT 1 FROM packages WHERE name = ?", [.text(reference.name)]) { _ in true } ?? false
        guard packageExists else {
            throw StoreError(.notFound,
                             "no package named \(reference.name) in the store; `list` shows "
                                 + "what is there")
        }
        switch reference.selector {
        case .latest, .version:
            throw StoreError(.notFound,
                             "\(reference) is not in the store; `list` shows its versions")
        case .tag(let tag):
            throw StoreError(.notFound,
                             "\(reference.name) has no tag \(tag); `show \(reference.name)` "
                                 + "lists its tags")
        }
    }

    /// The version row with content digest `digest`.
    func versionRow(digest: Digest) throws(StoreError) -> (id: Int64, record: VersionRecord) {
        guard let found = try database.firstRow(
            Store.versionColumns + " WHERE v.content_digest = ?", [.text(digest.description)],
            Store.versionRecord)
        else {
            throw StoreError(.notFound, "no version with content digest \(digest) in the store",
                             digest: digest.description)
        }
        return found
    }

    /// The tensors of a version, sorted by name (byte order).
    func storedTensors(versionID: Int64) throws(StoreError) -> [StoredTensor] {
        try database.rows(
            "SELECT name, dtype, shape, blob_digest, byte_size FROM version_tensors "
                + "WHERE version_id = ?", [.integer(versionID)]
        ) { row throws(StoreError) in
            guard let dtype = DType(rawValue: row.text(1)),
                  let shape = Store.parseShape(row.text(2))
            else {
                throw StoreError(.integrity, "malformed tensor row \(row.text(0)) in the catalogue")
            }
            return StoredTensor(name: row.text(0), dtype: dtype, shape: shape,
                                digest: try Store.storedDigest(row.text(3)),
                                byteSize: row.int64(4))
        }.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    /// `[1,2,3]` → `[1, 2, 3]`.
    static func parseShape(_ text: String) -> [Int]? {
        guard let data = text.data(using: .utf8),
              let array = try? JSONSerialization.jsonObject(with: data) as? [Any]
        else { return nil }
        var dims: [Int] = []
        for item in array {
            guard let number = item as? NSNumber, number.int64Value >= 0,
                  number.int64Value <= Int64(Int.max) else { return nil }
            dims.append(number.intValue)
        }
        return dims
    }

    /// `[1, 2, 3]` → `[1,2,3]`.
    static func formatShape(_ shape: [Int]) -> String {
        "[" + shape.map(String.init).joined(separator: ",") + "]"
    }

    /// Reads a blob and checks it hashes to its name.
    func readBlob(_ digest: Digest) throws(StoreError) -> Data {
        let path = blobPath(digest)
        guard FileSystem.fileSize(path) != nil else {
            throw StoreError(.integrity, "blob \(digest) is missing; run verify", path: path,
                             digest: digest.description)
        }
        let data = try FileSystem.read(path)
        let actual = Digest.sha256(data)
        guard actual == digest else {
            throw StoreError(.integrity,
                             "blob \(digest) is damaged (its bytes hash to \(actual)); run "
                                 + "verify and publish the affected versions again",
                             path: path, digest: digest.description)
        }
        return data
    }

    /// Rebuilds a version's package and file bytes from its manifest row and blobs, and checks
    /// the result has the recorded content digest.
    func assemble(versionID: Int64,
                  record: VersionRecord) throws(StoreError) -> (data: Data, package: Package) {
        let manifestJSON = try database.firstRow(
            "SELECT manifest_json FROM versions WHERE id = ?", [.integer(versionID)]
        ) { $0.text(0) } ?? ""
        let tensors = try storedTensors(versionID: versionID)
        let manifest: Manifest
        do {
            manifest = try Manifest.decode(Data(manifestJSON.utf8))
        } catch {
            throw StoreError(.integrity, "the stored manifest of \(record.reference) does not "
                                 + "decode: \(error.message)", digest: record.digest.description)
        }
        var packageTensors: [PackageTensor] = []
        for tensor in tensors {
            let bytes = try readBlob(tensor.digest)
            let count = PackageTensor.byteCount(shape: tensor.shape, dtype: tensor.dtype)
            guard count == bytes.count else {
                throw StoreError(.integrity,
                                 "blob of \(record.reference) tensor \(tensor.name) has "
                                     + "\(bytes.count) bytes, not what its shape needs",
                                 digest: tensor.digest.description)
            }
            packageTensors.append(PackageTensor(name: tensor.name, dtype: tensor.dtype,
                                                shape: tensor.shape, bytes: bytes))
        }
        let encoded: (data: Data, package: Package)
        do {
            encoded = try PackageWriter.encode(manifest, tensors: packageTensors)
        } catch {
            throw StoreError(.integrity, "\(record.reference) no longer forms a valid package: "
                                 + error.description, digest: record.digest.description)
        }
        guard encoded.package.contentDigest == record.digest else {
            throw StoreError(.integrity,
                             "\(record.reference) rebuilt to content digest "
                                 + "\(encoded.package.contentDigest), not the recorded one",
                             digest: record.digest.description)
        }
        return encoded
    }
}
