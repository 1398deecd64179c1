import FaceletPackage
import Foundation

extension Store {
    // MARK: - What a registry client needs (docs/remote.md, "Pulling")

    /// `<store>/partial/`: downloads in progress (`<hex>.part` and its `<hex>.json` record),
    /// on the store's file system so a verified `.part` can be renamed into `blobs/`. Made if
    /// missing. Only a pull holding `lockForPull` writes there.
    public func partialDirectory() throws(StoreError) -> String {
        let path = partialPath
        if !FileSystem.exists(path) { try FileSystem.makeDirectory(path) }
        return path
    }

    /// Takes `<store>/pull.lock` exclusive, so one pull at a time writes `partial/` (two
    /// pulls appending to the same `.part` would interleave their bytes). Held until the
    /// returned value is released; the kernel drops it if the process dies.
    /// - Parameter timeout: Seconds to wait for another pull to finish.
    /// - Throws: `StoreError` `.busy` when another pull holds it past `timeout`, `.io`.
    public func lockForPull(timeout: Double) throws(StoreError) -> PullLock {
        let lock = try FileLock(
            path: pullLockPath, mode: .exclusive, timeout: timeout,
            busyMessage: "another pull into this store is still running after "
                + "\(Int(timeout)) s; try again when it has finished")
        return PullLock(lock)
    }

    /// Throws the refusal `publish` would give version `name:version` of `kind` with content
    /// `digest` (`.kindConflict`, `.versionConflict`), before any of it is downloaded.
    /// - Returns: True when exactly this content is already published under that name.
    public func checkPublishable(name: String, version: String, kind: PackageKind,
                                 digest: Digest) throws(StoreError) -> Bool {
        try locked { () throws(StoreError) in
            try checkConflicts(name: name, version: version, kind: kind, digest: digest)
        }
    }

    /// The stored version whose content digest is `digest`, or nil when there is none.
    public func version(digest: Digest) throws(StoreError) -> VersionRecord? {
        try locked { () throws(StoreError) in
            do throws(StoreError) {
                return try versionRow(digest: digest).record
            } catch {
                if error.code == .notFound { return nil }
                throw error
            }
        }
    }

    /// Publishes a package whose tensors were downloaded into files, moving those files into
    /// `blobs/` instead of writing the bytes again; otherwise exactly
    /// `publish(_:thumbnails:signatures:)` (same checks, one transaction, all or nothing).
    ///
    /// - Parameter stagedFiles: tensor digest → a file in `partialDirectory()` (or elsewhere
    ///   on the store's file system) holding exactly the bytes of the package's tensor with
    ///   that digest (the package's bytes were read from it). A moved file is gone
    ///   afterwards; one not needed (the blob was already there) stays for the caller.
    /// - Throws: As `publish(_:thumbnails:signatures:)`.
    public func publishPulled(
        _ package: Package, thumbnails: [ThumbnailInput] = [],
        signatures: [SignatureRecord] = [], stagedFiles: [Digest: String]
    ) throws(StoreError) -> PublishOutcome {
        try publish(package, thumbnails: thumbnails, signatures: signatures, staged: stagedFiles)
    }
}

/// The exclusive lock of a pull on a store (`Store.lockForPull`), held while the value lives.
public final class PullLock {
    private let lock: FileLock

    init(_ lock: FileLock) {
        self.lock = lock
    }
}
