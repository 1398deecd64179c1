import FaceletPackage
import Foundation

extension Store {
    // MARK: - What a registry client needs (docs/remote.md, "Pulling")

    /// `<store>/partial/`: downloads in progress (`<hex>.part` and its `<hex>.json` record),
    /// on the store's file system so a verified `.part` can be renamed into `blobs/`. Made if
    /// missing. gc does not touch it.
    public func partialDirectory() throws(StoreError) -> String {
        let path = directory.appendingPathComponent("partial").path
        if !FileSystem.exists(path) { try FileSystem.makeDirectory(path) }
        return path
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
