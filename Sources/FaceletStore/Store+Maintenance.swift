import FaceletPackage
import Foundation

extension Store {
    // MARK: - Tags

    /// Points tag `tag` of the package at the version `reference` names (moving it if set).
    ///
    /// `latest` is reserved: the store keeps it on the highest version.
    /// - Throws: `.invalidReference` for a malformed tag, `.reservedTag` for `latest`,
    ///   `.notFound` if the version is not there.
    public func tag(_ reference: Reference, as tag: String) throws(StoreError) {
        do {
            try Naming.validateTag(tag)
        } catch {
            throw StoreError(.invalidReference,
                             "bad tag \"\(tag.replacingNULs)\": \(error.message)")
        }
        guard tag != Reference.latestTag else {
            throw StoreError(.reservedTag,
                             "the tag latest always points at the highest version and cannot "
                                 + "be set by hand; choose another tag name")
        }
        try locked { () throws(StoreError) in
            try database.transaction(.immediate) { () throws(StoreError) in
                let (versionID, record) = try resolveRow(reference)
                let previous = try database.firstRow(
                    "SELECT v.id, v.version FROM tags t JOIN versions v ON v.id = t.version_id "
                        + "JOIN packages p ON p.id = t.package_id WHERE p.name = ? AND t.tag = ?",
                    [.text(record.name), .text(tag)]) { ($0.int64(0), $0.text(1)) }
                if previous?.0 == versionID { return }
                try database.run(
                    "INSERT INTO tags (package_id, tag, version_id, updated_at) "
                        + "SELECT package_id, ?, id, ? FROM versions WHERE id = ? "
                        + "ON CONFLICT (package_id, tag) DO UPDATE SET "
                        + "version_id = excluded.version_id, updated_at = excluded.updated_at",
                    [.text(tag), .text(Timestamp.now()), .integer(versionID)])
                var detail = ["version": record.version, "digest": record.digest.description]
                if let previous { detail["previous"] = previous.1 }
                try audit(.tag, "\(record.name)@\(tag)", detail)
            }
        }
    }

    // MARK: - Remove

    /// Removes the version `reference` names, with its tags and thumbnails; `latest` moves to
    /// the next highest version, and the package disappears with its last version. The blobs
    /// stay until `gc` (other versions may share them).
    /// - Returns: the user tags (not `latest`) that pointed at the version and went with it,
    ///   sorted; the audit entry records them too.
    /// - Throws: `.backboneInUse` naming the banks bound to a backbone version, `.notFound`.
    @discardableResult
    public func remove(_ reference: Reference) throws(StoreError) -> [String] {
        try locked { () throws(StoreError) -> [String] in
            try database.transaction(.immediate) { () throws(StoreError) -> [String] in
                let (versionID, record) = try resolveRow(reference)
                let bound = try database.rows(
                    "SELECT p.name, v.version FROM versions v JOIN packages p "
                        + "ON p.id = v.package_id WHERE v.backbone_digest = ?",
                    [.text(record.digest.description)]) { "\($0.text(0)):\($0.text(1))" }
                guard bound.isEmpty else {
                    throw StoreError(
                        .backboneInUse,
                        "\(record.reference) is the backbone of "
                            + "\(bound.sorted().joined(separator: ", ")); remove those banks first",
                        digest: record.digest.description)
                }
                let packageID = try database.firstRow(
                    "SELECT package_id FROM versions WHERE id = ?", [.integer(versionID)]
                ) { $0.int64(0) } ?? 0
                let droppedTags = try database.rows(
                    "SELECT tag FROM tags WHERE version_id = ? AND tag <> 'latest' ORDER BY tag",
                    [.integer(versionID)]) { $0.text(0) }
                try database.run("DELETE FROM versions WHERE id = ?", [.integer(versionID)])
                let remaining = try database.firstRow(
                    "SELECT count(*) FROM versions WHERE package_id = ?", [.integer(packageID)]
                ) { $0.int64(0) } ?? 0
                if remaining == 0 {
                    try database.run("DELETE FROM packages WHERE id = ?", [.integer(packageID)])
                } else {
                    try moveLatest(packageID: packageID)
                }
                var detail = ["digest": record.digest.description]
                if !droppedTags.isEmpty {
                    detail["dropped_tags"] = droppedTags.joined(separator: ",")
                }
                try audit(.rm, record.reference, detail)
                return droppedTags
            }
        }
    }

    // MARK: - Verify

    /// Re-hashes every blob a version references and checks the database itself.
    ///
    /// Holds store.lock shared, so a concurrent gc cannot make a blob vanish mid-check.
    public func verify() throws(StoreError) -> VerifyReport {
        try locked { () throws(StoreError) in
            let fileLock = try FileLock(path: lockFilePath, mode: .shared,
                                        timeout: fileLockTimeout)
            defer { withExtendedLifetime(fileLock) {} }
            let users = try referencedBlobs()
            var damaged: [DamagedBlob] = []
            for (digest, versions) in users.sorted(by: { $0.key < $1.key }) {
                let path = blobPath(digest)
                guard FileSystem.fileSize(path) != nil else {
                    damaged.append(DamagedBlob(digest: digest, path: path, missing: true,
                                               actual: nil, versions: versions.sorted()))
                    continue
                }
                let actual = Digest.sha256(try FileSystem.read(path))
                if actual != digest {
                    damaged.append(DamagedBlob(digest: digest, path: path, missing: false,
                                               actual: actual, versions: versions.sorted()))
                }
            }
            var problems = try database.rows("PRAGMA integrity_check") { $0.text(0) }
                .filter { $0 != "ok" }
            problems += try database.rows("PRAGMA foreign_key_check") {
                "foreign key violation in \($0.text(0)) row \($0.int64(1)) -> \($0.text(2))"
            }
            let unreferenced = blobFiles().filter { users[$0.digest] == nil }.count
            return VerifyReport(checkedBlobs: users.count, damaged: damaged,
                                databaseProblems: problems, unreferencedBlobs: unreferenced)
        }
    }

    // MARK: - Garbage collection

    /// Removes blobs no version references, stray staging files from tmp/, and files in
    /// partial/ last written more than a day ago (an abandoned pull's downloads).
    ///
    /// Takes store.lock exclusive, so it waits for (and then excludes) every publish in
    /// progress in any process: a publish's blobs are written and committed while it holds
    /// the lock shared, so gc never sees them unreferenced. partial/ is cleaned only when
    /// no pull holds pull.lock (gc does not wait for one).
    public func gc() throws(StoreError) -> GCReport {
        try locked { () throws(StoreError) in
            let fileLock = try FileLock(path: lockFilePath, mode: .exclusive,
                                        timeout: fileLockTimeout)
            defer { withExtendedLifetime(fileLock) {} }
            let referenced = try referencedBlobs()
            var removed: [Digest] = []
            var removedBytes: Int64 = 0
            var kept = 0
            for file in blobFiles() {
                if referenced[file.digest] != nil {
                    kept += 1
                    continue
                }
                removedBytes += FileSystem.fileSize(file.path) ?? 0
                try FileSystem.removeFile(file.path)
                removed.append(file.digest)
            }
            // Fan-out directories left empty go too (a later publish makes them again).
            for prefix in FileSystem.list(blobRoot)
            where FileSystem.list("\(blobRoot)/\(prefix)").isEmpty {
                rmdir("\(blobRoot)/\(prefix)")
            }
            var removedTemp: [String] = []
            for name in FileSystem.list(tempDirectory) {
                try FileSystem.removeFile("\(tempDirectory)/\(name)")
                removedTemp.append(name)
            }
            let removedPartial = try removeStalePartialFiles()
            try database.transaction(.immediate) { () throws(StoreError) in
                try audit(.gc, "store", ["removed_blobs": String(removed.count),
                                         "removed_bytes": String(removedBytes),
                                         "removed_temp_files": String(removedTemp.count),
                                         "removed_partial_files": String(removedPartial.count),
                                         "kept_blobs": String(kept)])
            }
            return GCReport(removedBlobs: removed.sorted(), removedBytes: removedBytes,
                            removedTempFiles: removedTemp, removedPartialFiles: removedPartial,
                            keptBlobs: kept)
        }
    }

    /// How old (by modification time, in seconds) a file in partial/ must be for gc to
    /// remove it: a pull resumes within a day or is taken as abandoned.
    static let partialMaxAge: Double = 24 * 60 * 60

    /// Removes the files in partial/ older than `partialMaxAge`, unless a pull is running.
    private func removeStalePartialFiles() throws(StoreError) -> [String] {
        guard FileSystem.exists(partialPath),
              let pullLock = try? FileLock(path: pullLockPath, mode: .exclusive, timeout: 0)
        else { return [] }
        defer { withExtendedLifetime(pullLock) {} }
        let cutoff = Date().addingTimeInterval(-Self.partialMaxAge)
        var removed: [String] = []
        for name in FileSystem.list(partialPath) {
            let path = "\(partialPath)/\(name)"
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            guard attributes?[.type] as? FileAttributeType == .typeRegular,
                  let modified = attributes?[.modificationDate] as? Date, modified < cutoff
            else { continue }
            try FileSystem.removeFile(path)
            removed.append(name)
        }
        return removed
    }

    // MARK: - Internals

    /// Every blob digest a version references → the `name:version`s referencing it.
    func referencedBlobs() throws(StoreError) -> [Digest: [String]] {
        try database.transaction(.deferred) { () throws(StoreError) in
            var users: [Digest: Set<String>] = [:]
            for table in ["version_tensors", "thumbnails"] {
                let pairs = try database.rows(
                    "SELECT DISTINCT b.blob_digest, p.name || ':' || v.version FROM \(table) b "
                        + "JOIN versions v ON v.id = b.version_id "
                        + "JOIN packages p ON p.id = v.package_id") { ($0.text(0), $0.text(1)) }
                for (text, reference) in pairs {
                    users[try Store.storedDigest(text), default: []].insert(reference)
                }
            }
            return users.mapValues { Array($0) }
        }
    }

    /// Every well-named blob file on disk. Files whose names are not a digest in the matching
    /// prefix directory are not blobs and are left alone.
    func blobFiles() -> [(digest: Digest, path: String)] {
        var files: [(digest: Digest, path: String)] = []
        for prefix in FileSystem.list(blobRoot) {
            for name in FileSystem.list("\(blobRoot)/\(prefix)") where name.hasPrefix(prefix) {
                guard name.utf8.count == 64, let digest = try? Digest(parsing: name) else {
                    continue
                }
                files.append((digest, "\(blobRoot)/\(prefix)/\(name)"))
            }
        }
        return files
    }
}
