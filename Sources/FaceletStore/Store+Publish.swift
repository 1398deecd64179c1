import FaceletPackage
import Foundation

extension Store {
    // MARK: - Publish

    /// Adds a validated package (from `PackageReader` or `PackageWriter`) as a new version.
    ///
    /// Checks: a bank's backbone must be a backbone version in the store, and the bank must fit
    /// it (`validateBank`); a name keeps its kind; a version is immutable (the same content
    /// again is a no-op with `alreadyPresent`, different content is refused).
    ///
    /// All or nothing: the blobs are written first (staged in tmp/, fsynced, renamed, directory
    /// fsynced; present ones skipped) while holding store.lock shared, so gc cannot remove them;
    /// then one `BEGIN IMMEDIATE` transaction inserts every row, moves `latest` and appends the
    /// audit entry. A crash before `COMMIT` leaves only invisible orphan blobs, which gc
    /// removes. Republishing identical content changes no row and ignores `thumbnails`, but
    /// rewrites any of its tensor blobs that are missing or damaged (how to repair what
    /// `verify` reports).
    ///
    /// `signatures` (over the package's content digest) are verified before anything is
    /// written; one that does not verify refuses the publish. They are stored in the same
    /// transaction as the version; for content already present, new ones are added in their
    /// own transaction with a `sign` audit entry (so a pull or `publish --sign` of a present
    /// version still records its signatures).
    /// - Throws: `StoreError` (`.backboneMissing`, `.invalidPackage`, `.invalidSignature`,
    ///   `.versionConflict`, `.kindConflict`, `.busy`, `.io`, `.database`).
    public func publish(
        _ package: Package, thumbnails: [ThumbnailInput] = [],
        signatures: [SignatureRecord] = []
    ) throws(StoreError) -> PublishOutcome {
        try publish(package, thumbnails: thumbnails, signatures: signatures, staged: [:])
    }

    /// `publish(_:thumbnails:signatures:)`, moving the files in `staged` (tensor digest →
    /// a file holding exactly those bytes, on the store's file system) into place with a
    /// rename instead of writing the bytes again (`Store.publishPulled`).
    func publish(
        _ package: Package, thumbnails: [ThumbnailInput], signatures: [SignatureRecord],
        staged: [Digest: String]
    ) throws(StoreError) -> PublishOutcome {
        try Store.verifySignatures(signatures, digest: package.contentDigest)
        return try locked { () throws(StoreError) in
            let manifest = package.manifest
            let subject = "\(manifest.name):\(manifest.version)"
            let unchanged = PublishOutcome(reference: subject, digest: package.contentDigest,
                                           alreadyPresent: true)
            try Store.checkThumbnails(thumbnails, manifest: manifest)

            // Already published: rewrite only damaged or missing tensor blobs (a repair), change
            // no row.
            let present = try checkConflicts(package)
            if manifest.kind == .bank, !present { try checkBackbone(of: package) }

            // Held until this closure returns, on every path (ARC could otherwise end the
            // value's lifetime at its last use).
            let fileLock = try FileLock(path: lockFilePath, mode: .shared,
                                        timeout: fileLockTimeout)
            defer { withExtendedLifetime(fileLock) {} }
            try reach(.lockAcquired)
            // Moving many downloaded files: fsync each touched directory once, after all the
            // renames, instead of once per blob (still before any row is written).
            let syncs = DirectorySyncs(deferred: !staged.isEmpty)
            for tensor in package.tensors {
                try placeBlob(tensor.bytes, digest: tensor.sha256, staged: staged[tensor.sha256],
                              syncs: syncs)
            }
            try syncs.flush()
            if present {
                try addSignatures(signatures, to: package.contentDigest, subject: subject)
                return unchanged
            }
            let thumbnailDigests = thumbnails.map { Digest.sha256($0.png) }
            for (thumbnail, digest) in zip(thumbnails, thumbnailDigests) {
                try placeBlob(thumbnail.png, digest: digest)
            }
            try reach(.blobsWritten)

            let inserted = try database.transaction(.immediate) { () throws(StoreError) -> Bool in
                try reach(.transactionBegun)
                // Another connection may have published meanwhile: check again under the lock.
                if try checkConflicts(package) { return false }
                // The backbone may have been removed meanwhile (the foreign key would refuse the
                // insert too, but with a less helpful message).
                if manifest.kind == .bank { try checkBackbone(of: package) }
                try insertRows(package, thumbnails: thumbnails, digests: thumbnailDigests,
                               signatures: signatures)
                return true
            }
            if !inserted {
                try addSignatures(signatures, to: package.contentDigest, subject: subject)
            }
            try reach(.committed)
            return inserted
                ? PublishOutcome(reference: subject, digest: package.contentDigest,
                                 alreadyPresent: false)
                : unchanged
        }
    }

    /// Throws on a kind or version conflict; returns true when this exact content is already
    /// published under its name and version.
    private func checkConflicts(_ package: Package) throws(StoreError) -> Bool {
        let manifest = package.manifest
        return try checkConflicts(name: manifest.name, version: manifest.version,
                                  kind: manifest.kind, digest: package.contentDigest)
    }

    /// `checkConflicts(_:)` for a version known by its name, version, kind and content digest
    /// (call with the connection lock held).
    func checkConflicts(name: String, version: String, kind: PackageKind,
                        digest: Digest) throws(StoreError) -> Bool {
        let kindText = try database.firstRow(
            "SELECT kind FROM packages WHERE name = ?", [.text(name)]) { $0.text(0) }
        if let kindText, kindText != kind.rawValue {
            throw StoreError(.kindConflict,
                             "\(name) is already a \(kindText) in the store; a "
                                 + "\(kind.rawValue) needs another name")
        }
        let existing = try database.firstRow(
            "SELECT v.content_digest FROM versions v JOIN packages p ON p.id = v.package_id "
                + "WHERE p.name = ? AND v.version = ?",
            [.text(name), .text(version)]) { $0.text(0) }
        guard let existing else { return false }
        guard existing == digest.description else {
            throw StoreError(.versionConflict,
                             "\(name):\(version) is already published with "
                                 + "different content (\(existing)); versions are immutable, "
                                 + "publish under a new version",
                             digest: digest.description)
        }
        return true
    }

    /// Checks that a bank's backbone is a backbone in the store and that the bank fits it.
    private func checkBackbone(of bank: Package) throws(StoreError) {
        guard let digest = bank.manifest.backbone else {
            throw StoreError(.invalidPackage, "the bank's manifest names no backbone")
        }
        let kindText = try database.firstRow(
            "SELECT p.kind FROM versions v JOIN packages p ON p.id = v.package_id "
                + "WHERE v.content_digest = ?", [.text(digest.description)]) { $0.text(0) }
        guard let kindText else {
            throw StoreError(.backboneMissing,
                             "backbone \(digest) is not in the store; publish the backbone first",
                             digest: digest.description)
        }
        guard kindText == PackageKind.backbone.rawValue else {
            throw StoreError(.invalidPackage,
                             "the bank's backbone digest \(digest) names a bank, not a backbone",
                             digest: digest.description)
        }
        // The manifest carries the architecture (levels and channels), which is all the bank
        // check needs; the backbone's tensors are not re-read for every bank.
        let (id, record) = try versionRow(digest: digest)
        let manifestJSON = try database.firstRow(
            "SELECT manifest_json FROM versions WHERE id = ?", [.integer(id)]) { $0.text(0) } ?? ""
        let subject = "\(bank.manifest.name):\(bank.manifest.version)"
        do {
            let backbone = try Manifest.decode(Data(manifestJSON.utf8))
            try validateBank(bank, againstBackbone: backbone, digest: digest)
        } catch {
            throw StoreError(.invalidPackage,
                             "\(subject) does not fit backbone \(record.reference): \(error)",
                             digest: digest.description)
        }
    }

    /// Writes one immutable blob unless an intact one is already there.
    ///
    /// Staged in tmp/ (same file system), fsynced, renamed into place, then the directory is
    /// fsynced so the new name survives power loss. Concurrent writers of the same blob both
    /// succeed: rename replaces atomically with identical bytes. A present blob is re-hashed
    /// and replaced if damaged, so publishing a version again repairs what verify reported.
    ///
    /// With `staged` (a file holding exactly `data`, already on the store's file system), the
    /// file is fsynced and renamed into place instead of `data` being written again.
    private func placeBlob(_ data: Data, digest: Digest, staged source: String? = nil,
                           syncs: DirectorySyncs = DirectorySyncs(deferred: false))
        throws(StoreError) {
        let path = blobPath(digest)
        if let size = FileSystem.fileSize(path), size == Int64(data.count),
           let existing = try? FileSystem.read(path), Digest.sha256(existing) == digest {
            return
        }
        let directory = "\(blobRoot)/\(digest.hex.prefix(2))"
        if !FileSystem.exists(directory) {
            try FileSystem.makeDirectory(directory)
            try syncs.sync(blobRoot)
        }
        let staged: String
        if let source {
            try FileSystem.syncFile(source)
            staged = source
        } else {
            staged = "\(tempDirectory)/\(UUID().uuidString.lowercased()).blob"
            try FileSystem.writeNewFile(data, to: staged)
        }
        try reach(.blobStaged)
        do {
            try FileSystem.rename(staged, to: path)
        } catch {
            if source == nil { try? FileSystem.removeFile(staged) }
            throw error
        }
        try syncs.sync(directory)
        try reach(.blobPlaced)
    }

    /// Records verified signatures of a version already in the store, in their own transaction
    /// with a `sign` audit entry when any is new (call with the lock held).
    private func addSignatures(_ signatures: [SignatureRecord], to digest: Digest,
                               subject: String) throws(StoreError) {
        guard !signatures.isEmpty else { return }
        try database.transaction(.immediate) { () throws(StoreError) in
            let added = try insertSignatures(signatures, digest: digest)
            if !added.isEmpty {
                try audit(.sign, subject, ["digest": digest.description,
                                           "keys": added.joined(separator: " ")])
            }
        }
    }

    /// Inserts the rows of a new version and its signatures, moves `latest`, appends the audit
    /// entry.
    private func insertRows(_ package: Package, thumbnails: [ThumbnailInput],
                            digests: [Digest],
                            signatures: [SignatureRecord]) throws(StoreError) {
        let manifest = package.manifest
        let now = Timestamp.now()
        try database.run(
            "INSERT INTO packages (name, kind, created_at) VALUES (?, ?, ?) "
                + "ON CONFLICT (name) DO NOTHING",
            [.text(manifest.name), .text(manifest.kind.rawValue), .text(now)])
        let packageID = try database.firstRow(
            "SELECT id FROM packages WHERE name = ?", [.text(manifest.name)]) { $0.int64(0) } ?? 0

        let byteSize = package.tensors.reduce(Int64(0)) { $0 + Int64($1.bytes.count) }
        let manifestJSON = String(decoding: manifest.canonicalJSON(), as: UTF8.self)
        try database.run(
            "INSERT INTO versions (package_id, version, content_digest, manifest_json, "
                + "backbone_digest, byte_size, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [.integer(packageID), .text(manifest.version), .text(package.contentDigest.description),
             .text(manifestJSON), .optionalText(manifest.backbone?.description),
             .integer(byteSize), .text(now)])
        let versionID = database.lastInsertRowID

        let tensorInsert = try database.prepare(
            "INSERT INTO version_tensors (version_id, name, dtype, shape, blob_digest, byte_size) "
                + "VALUES (?, ?, ?, ?, ?, ?)")
        for tensor in package.tensors {
            try tensorInsert.bind([
                .integer(versionID), .text(tensor.name), .text(tensor.dtype.rawValue),
                .text(Store.formatShape(tensor.shape)), .text(tensor.sha256.description),
                .integer(Int64(tensor.bytes.count)),
            ])
            while try tensorInsert.step() {}
            tensorInsert.reset()
        }
        for (thumbnail, digest) in zip(thumbnails, digests) {
            try database.run(
                "INSERT INTO thumbnails (version_id, reference, level, blob_digest, stats_json) "
                    + "VALUES (?, ?, ?, ?, ?)",
                [.integer(versionID), .text(thumbnail.reference), .text(thumbnail.level),
                 .text(digest.description), .text(thumbnail.statsJSON)])
        }
        let signers = try insertSignatures(signatures, digest: package.contentDigest)
        try reach(.rowsInserted)

        try moveLatest(packageID: packageID)
        try reach(.latestMoved)

        var detail = ["digest": package.contentDigest.description, "kind": manifest.kind.rawValue,
                      "tensors": String(package.tensors.count), "bytes": String(byteSize)]
        if let backbone = manifest.backbone { detail["backbone"] = backbone.description }
        if !signers.isEmpty { detail["signatures"] = signers.joined(separator: " ") }
        try audit(.publish, "\(manifest.name):\(manifest.version)", detail)
        try reach(.auditAppended)
    }

    /// Points `latest` at the package's highest version (natural order), or drops it when the
    /// package has no versions left.
    func moveLatest(packageID: Int64) throws(StoreError) {
        let versions = try database.rows(
            "SELECT id, version FROM versions WHERE package_id = ?", [.integer(packageID)]
        ) { ($0.int64(0), $0.text(1)) }
        guard let top = versions.max(by: { NaturalOrder.less($0.1, $1.1) }) else {
            try database.run("DELETE FROM tags WHERE package_id = ? AND tag = ?",
                             [.integer(packageID), .text(Reference.latestTag)])
            return
        }
        try database.run(
            "INSERT INTO tags (package_id, tag, version_id, updated_at) VALUES (?, ?, ?, ?) "
                + "ON CONFLICT (package_id, tag) DO UPDATE SET version_id = excluded.version_id, "
                + "updated_at = excluded.updated_at WHERE tags.version_id != excluded.version_id",
            [.integer(packageID), .text(Reference.latestTag), .integer(top.0),
             .text(Timestamp.now())])
    }

    // MARK: - Thumbnail checks

    /// The PNG file signature.
    private static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Refuses malformed thumbnails before anything is written.
    static func checkThumbnails(_ thumbnails: [ThumbnailInput],
                                manifest: Manifest) throws(StoreError) {
        let levels = Set(manifest.levels ?? manifest.architecture?.levels.map(\.name) ?? [])
            .union(["combined"])
        var seen = Set<String>()
        for thumbnail in thumbnails {
            let reference = thumbnail.reference
            let badCharacter = reference.unicodeScalars.contains {
                $0 == "/" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7f
            }
            guard !reference.isEmpty, reference.utf8.count <= 128, !badCharacter,
                  !reference.hasPrefix(".")
            else {
                throw StoreError(.invalidPackage,
                                 "thumbnail reference photo name \"\(reference.replacingNULs)\" "
                                     + "must be 1-128 characters without /, \\, control "
                                     + "characters or a leading dot")
            }
            guard levels.contains(thumbnail.level) else {
                throw StoreError(.invalidPackage,
                                 "thumbnail level \(thumbnail.level) is not one of "
                                     + "\(levels.sorted().joined(separator: ", "))")
            }
            guard seen.insert("\(reference)\u{0}\(thumbnail.level)").inserted else {
                throw StoreError(.invalidPackage,
                                 "two thumbnails for \(reference) at level \(thumbnail.level)")
            }
            guard thumbnail.png.starts(with: pngSignature) else {
                throw StoreError(.invalidPackage,
                                 "thumbnail \(reference)/\(thumbnail.level) is not a PNG file")
            }
            let stats = thumbnail.statsJSON.data(using: .utf8)
                .flatMap { try? JSONSerialization.jsonObject(with: $0) }
            guard stats is [String: Any] else {
                throw StoreError(.invalidPackage,
                                 "thumbnail \(reference)/\(thumbnail.level) stats must be a "
                                     + "JSON object")
            }
        }
    }
}

/// The directory fsyncs of a publish: done at once, or (`deferred`) collected and done once
/// each by `flush()`.
private final class DirectorySyncs {
    private let deferred: Bool
    private var pending: [String] = []

    init(deferred: Bool) {
        self.deferred = deferred
    }

    func sync(_ directory: String) throws(StoreError) {
        guard deferred else { return try FileSystem.syncDirectory(directory) }
        if !pending.contains(directory) { pending.append(directory) }
    }

    func flush() throws(StoreError) {
        for directory in pending {
            try FileSystem.syncDirectory(directory)
        }
        pending = []
    }
}
