import FaceletPackage
import FaceletStore
import Foundation

/// What `Puller` reports while it works, for a progress display.
public enum PullEvent: Sendable {
    /// Downloading the blobs of `reference`: `blobs` files, `bytes` in all (what the local
    /// store lacks; bytes already in `.part` files count as done).
    case downloading(reference: String, blobs: Int, bytes: Int64)
    /// `done` of the `total` bytes of `reference` are in.
    case progress(reference: String, done: Int64, total: Int64)
    /// Every blob is verified; the version is being published to the local store.
    case publishing(reference: String)
}

/// How a pull behaves.
public struct PullOptions: Sendable {
    /// Resume `.part` files left by an interrupted pull (`pull --no-resume` turns it off).
    public var resume: Bool
    /// `policy.require_signature`: refuse a version no trusted key signed.
    public var requireSignature: Bool
    /// Seconds to wait for another pull into the same store to finish before failing with
    /// `store.busy` (pulls into one store take turns: `Store.lockForPull`).
    public var lockTimeout: Double

    /// Resume on, signatures not required, up to 10 minutes' wait for another pull.
    public init(resume: Bool = true, requireSignature: Bool = false,
                lockTimeout: Double = 600) {
        self.resume = resume
        self.requireSignature = requireSignature
        self.lockTimeout = lockTimeout
    }
}

/// What a pull did.
public struct PullResult: Sendable, Equatable {
    /// `name:version`.
    public var reference: String
    /// The content digest.
    public var digest: Digest
    /// Bank or backbone.
    public var kind: PackageKind
    /// True when the local store already held this version (nothing was downloaded).
    public var alreadyPresent: Bool
    /// Blobs downloaded (tensors and thumbnails), including resumed ones.
    public var downloadedBlobs: Int
    /// Bytes received over the transport for this version.
    public var downloadedBytes: Int64
    /// Bytes a resume did not fetch again (already in `.part` files).
    public var resumedBytes: Int64
    /// Tensor blobs the local store already had.
    public var reusedBlobs: Int
    /// Key ids of the signatures stored with the version (all verified).
    public var signatures: [String]
    /// Key ids of signatures that did not verify and were dropped (policy off).
    public var rejectedSignatures: [String]
    /// The backbone pulled first for a bank whose backbone the local store lacked.
    public var backbone: PullBackbone?
}

/// The backbone a bank's pull brought along (a box, so `PullResult` can nest).
public final class PullBackbone: Sendable, Equatable {
    /// The backbone's own pull.
    public let result: PullResult

    init(_ result: PullResult) {
        self.result = result
    }

    /// Equal when the results are.
    public static func == (lhs: PullBackbone, rhs: PullBackbone) -> Bool {
        lhs.result == rhs.result
    }
}

/// Pulls versions from a registry into a local store (docs/remote.md, "Pulling").
///
/// Holds the store's pull lock throughout, so pulls into one store take turns. Resolves the
/// reference in the remote's index, fetches and checks the version document (content digest,
/// signature policy, kind and version conflicts with the local store), pulls a missing
/// backbone first, downloads only the blobs the store lacks into `<store>/partial/`
/// (resuming earlier `.part` files, fetching a resumed blob that does not verify once more),
/// verifies each, and only then publishes the version in one store transaction. A failed
/// pull leaves the catalogue unchanged, except for a bank's backbone already pulled
/// (docs/remote.md).
///
///     let client = try RegistryClient(location: RemoteLocation(parsing: url))
///     let result = try Puller(store: store, client: client).pull(Reference(parsing: "smile"))
public final class Puller {
    private let store: Store
    private let client: RegistryClient
    private let options: PullOptions
    private let onEvent: ((PullEvent) -> Void)?
    private var index: RegistryIndex?

    /// A puller from `client` into `store`.
    /// - Parameter onEvent: Progress events, called on the pulling thread.
    public init(store: Store, client: RegistryClient, options: PullOptions = PullOptions(),
                onEvent: ((PullEvent) -> Void)? = nil) {
        self.store = store
        self.client = client
        self.options = options
        self.onEvent = onEvent
    }

    /// Pulls `reference` (`NAME` for the remote's `latest`, `NAME:VERSION`, `NAME@TAG`).
    /// - Throws: `RemoteError` (`remote.*`) or `StoreError` (the policy's `remote.unsigned`,
    ///   `remote.bad_signature`; `store.busy` when another pull holds the store past
    ///   `PullOptions.lockTimeout`; the local publish's own refusals, such as
    ///   `store.kind_conflict` and `store.version_conflict`, before anything is downloaded).
    public func pull(_ reference: Reference) throws -> PullResult {
        // Held until the pull returns, on every path (ARC could otherwise end the value's
        // lifetime at its last use).
        let lock = try store.lockForPull(timeout: options.lockTimeout)
        defer { withExtendedLifetime(lock) {} }
        let index = try client.index()
        self.index = index
        let (entry, version) = try Self.resolve(reference, in: index, location: client.location)
        return try pullVersion(entry: entry, version: version, bringingBackbone: true)
    }

    /// Finds the index entry and version `reference` names.
    /// - Throws: `RemoteError` `.notFound`.
    public static func resolve(_ reference: Reference, in index: RegistryIndex,
                               location: RemoteLocation) throws(RemoteError)
        -> (entry: RegistryIndex.Entry, version: RegistryIndex.Version) {
        guard let entry = index.packages.first(where: { $0.name == reference.name }) else {
            throw RemoteError(.notFound, "\(location) has no package named \(reference.name)")
        }
        let wanted: String?
        switch reference.selector {
        case .latest: wanted = entry.tags[Reference.latestTag] ?? entry.versions.last?.version
        case .version(let version): wanted = version
        case .tag(let tag):
            guard let target = entry.tags[tag] else {
                let tags = entry.tags.keys.sorted().joined(separator: ", ")
                throw RemoteError(.notFound,
                                  "\(location) has no tag \(reference.name)@\(tag) (tags: \(tags))")
            }
            wanted = target
        }
        guard let wanted, let version = entry.versions.first(where: { $0.version == wanted })
        else {
            let versions = entry.versions.map(\.version).joined(separator: ", ")
            throw RemoteError(.notFound,
                              "\(location) has no version \(reference) (versions: \(versions))")
        }
        return (entry, version)
    }

    // MARK: - Steps

    private func pullVersion(entry: RegistryIndex.Entry, version: RegistryIndex.Version,
                             bringingBackbone: Bool) throws -> PullResult {
        let digest = version.digest
        let document = try client.versionDocument(digest)
        let subject = "\(document.name):\(document.version)"
        guard document.name == entry.name, document.version == version.version else {
            throw RemoteError(.badResponse,
                              "the index lists \(entry.name):\(version.version) at \(digest) but "
                                  + "its document is \(subject)", digest: digest.description)
        }
        let outcome = try SignaturePolicy.check(document.signatures, digest: digest, store: store,
                                                requireSignature: options.requireSignature)
        var result = PullResult(
            reference: subject, digest: digest, kind: document.kind, alreadyPresent: false,
            downloadedBlobs: 0, downloadedBytes: 0, resumedBytes: 0, reusedBlobs: 0,
            signatures: outcome.verified.map(\.keyID).sorted(),
            rejectedSignatures: outcome.rejected.map(\.record.keyID).sorted(), backbone: nil)

        // The local publish would refuse a kind or version conflict: refuse it now, before
        // anything is downloaded or published (a bank's backbone is checked the same way when
        // its own pull below starts, still before any download).
        let present = try store.checkPublishable(name: document.name, version: document.version,
                                                 kind: document.kind, digest: digest)
        if present {
            try store.recordSignatures(outcome.verified, for: digest)
            result.alreadyPresent = true
            return result
        }
        if document.kind == .bank, let backbone = document.backbone,
           try store.version(digest: backbone) == nil {
            guard bringingBackbone, let (owner, listed) = findVersion(backbone) else {
                throw RemoteError(.notFound,
                                  "\(subject) is bound to backbone \(backbone), which neither "
                                      + "the local store nor \(client.location) holds",
                                  digest: backbone.description)
            }
            let pulled = try pullVersion(entry: owner, version: listed, bringingBackbone: false)
            result.backbone = PullBackbone(pulled)
        }

        let partialDirectory = try store.partialDirectory()
        var fetched = try fetchTensors(document, into: partialDirectory, result: &result)
        let thumbnails = try fetchThumbnails(document, result: &result)

        onEvent?(.publishing(reference: subject))
        let package: Package
        do {
            let manifest = try Manifest.decode(Data(document.manifestJSON.utf8))
            package = try Package(validating: manifest, tensors: fetched.tensors)
        } catch {
            throw RemoteError(.invalidContent,
                              "\(subject) from \(client.location) is not a valid package: "
                                  + "\(error)", digest: digest.description)
        }
        guard package.contentDigest == digest else {
            throw RemoteError(.digestMismatch,
                              "\(subject) assembled to \(package.contentDigest), not \(digest)",
                              digest: digest.description)
        }
        let published = try store.publishPulled(package, thumbnails: thumbnails,
                                                signatures: outcome.verified,
                                                stagedFiles: fetched.staged)
        result.alreadyPresent = published.alreadyPresent
        // Verified .part files now live in blobs/ (renamed); drop what is left and the records.
        for path in fetched.staged.values {
            unlink(path)
            unlink(String(path.dropLast(".part".count)) + ".json")
        }
        fetched.staged = [:]
        return result
    }

    /// The index entry and version whose content digest is `digest`.
    private func findVersion(_ digest: Digest)
        -> (RegistryIndex.Entry, RegistryIndex.Version)? {
        for entry in index?.packages ?? [] {
            if let version = entry.versions.first(where: { $0.digest == digest }) {
                return (entry, version)
            }
        }
        return nil
    }

    /// The package's tensors, each from an intact local blob or a verified download, and the
    /// downloaded files by digest.
    private func fetchTensors(_ document: VersionDocument, into partialDirectory: String,
                              result: inout PullResult) throws
        -> (tensors: [PackageTensor], staged: [Digest: String]) {
        let subject = "\(document.name):\(document.version)"
        var files: [Digest: String] = [:]
        var needed: [Digest: Int64] = [:]
        for tensor in document.tensors where files[tensor.digest] == nil {
            if let path = store.blobFile(tensor.digest), intact(path, tensor: tensor) {
                files[tensor.digest] = path
                result.reusedBlobs += 1
            } else {
                needed[tensor.digest] = tensor.byteSize
            }
        }
        // TODO: download blobs concurrently (one handle per connection) for links where
        // latency rather than bandwidth bounds a pull of many small blobs.
        let total = needed.values.reduce(0, +)
        onEvent?(.downloading(reference: subject, blobs: needed.count, bytes: total))
        var done: Int64 = 0
        var staged: [Digest: String] = [:]
        for (digest, size) in needed.sorted(by: { $0.key < $1.key }) {
            let before = done
            let (path, reused) = try downloadBlob(
                digest, size: size, into: partialDirectory, onRestart: { done = before }
            ) { [onEvent] count in
                done += Int64(count)
                onEvent?(.progress(reference: subject, done: done, total: total))
            }
            done = before + size
            result.downloadedBlobs += 1
            result.downloadedBytes += size - reused
            result.resumedBytes += reused
            files[digest] = path
            staged[digest] = path
        }
        var tensors: [PackageTensor] = []
        for tensor in document.tensors {
            guard let path = files[tensor.digest] else { continue }
            let bytes = try Self.map(path)
            // A file changed on disk since it was checked must not reach `PackageTensor`,
            // whose sizes are preconditions.
            guard Int64(bytes.count) == tensor.byteSize else {
                if staged[tensor.digest] != nil { unlink(path) }
                throw RemoteError(.io,
                                  "\(path) changed size on disk during the pull (\(bytes.count) "
                                      + "bytes, not \(tensor.byteSize)); run pull again",
                                  digest: tensor.digest.description)
            }
            // Every file here was hashed: downloads as their bytes arrived, local blobs by
            // `intact`; hashing them again would double the pull's CPU work.
            tensors.append(PackageTensor(name: tensor.name, dtype: tensor.dtype,
                                         shape: tensor.shape, bytes: bytes,
                                         verifiedSHA256: tensor.digest))
        }
        return (tensors, staged)
    }

    /// Downloads one blob into `partialDirectory`, resuming its `.part` (unless resume is
    /// off). A resumed `.part` that does not verify (damaged on disk, or written by something
    /// else) is deleted by then; the blob is fetched once more from its first byte, and only a
    /// fresh download that mismatches is the remote's fault.
    /// - Parameter onRestart: Called before the second download (to reset progress).
    private func downloadBlob(_ digest: Digest, size: Int64, into partialDirectory: String,
                              onRestart: () -> Void, onBytes: @escaping (Int) -> Void)
        throws(RemoteError) -> (path: String, reused: Int64) {
        let partPath = "\(partialDirectory)/\(digest.hex).part"
        let resuming = options.resume && (PartialDownload.fileSize(partPath) ?? 0) > 0
        do {
            return try client.download(blob: digest, size: size,
                                       partialDirectory: partialDirectory,
                                       resume: options.resume, onBytes: onBytes)
        } catch {
            guard resuming, error.code == .blobMismatch else { throw error }
            onRestart()
            return try client.download(blob: digest, size: size,
                                       partialDirectory: partialDirectory,
                                       resume: options.resume, onBytes: onBytes)
        }
    }

    /// The thumbnails, each fetched (they are small) and checked against its digest.
    // TODO: resume thumbnails too, once the version document states their sizes.
    private func fetchThumbnails(_ document: VersionDocument,
                                 result: inout PullResult) throws -> [ThumbnailInput] {
        var thumbnails: [ThumbnailInput] = []
        for thumbnail in document.thumbnails {
            let path = RegistryPaths.blob(thumbnail.digest)
            let png = try client.transport.fetch(path, limit: 16 << 20)
            guard Digest.sha256(png) == thumbnail.digest else {
                throw RemoteError(.blobMismatch,
                                  "thumbnail blob \(thumbnail.digest.short)… arrived with other "
                                      + "bytes; the remote holds altered data",
                                  url: client.location.url(path),
                                  digest: thumbnail.digest.description)
            }
            result.downloadedBlobs += 1
            result.downloadedBytes += Int64(png.count)
            thumbnails.append(ThumbnailInput(reference: thumbnail.reference,
                                             level: thumbnail.level, png: png,
                                             statsJSON: thumbnail.statsJSON))
        }
        return thumbnails
    }

    /// Whether the local blob at `path` has the tensor's size and SHA-256.
    private func intact(_ path: String, tensor: VersionDocument.Tensor) -> Bool {
        guard PartialDownload.fileSize(path) == tensor.byteSize,
              let bytes = try? Self.map(path) else { return false }
        return Digest.sha256(bytes) == tensor.digest
    }

    /// The file's bytes, memory-mapped (a backbone's blobs are not copied into memory).
    static func map(_ path: String) throws(RemoteError) -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw RemoteError(.io, "cannot read \(path): \(error.localizedDescription)")
        }
    }
}
