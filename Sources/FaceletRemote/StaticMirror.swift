import FaceletPackage
import FaceletStore
import Foundation
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a store as a static registry: the read API's paths as plain files, so any file
/// server (or `pull --from file:///dir`) serves it (docs/remote.md, "Static mirrors").
///
///     DIR/v1/index                     the index (as GET /v1/index)
///     DIR/v1/versions/sha256/<hex>     version documents
///     DIR/v1/blobs/sha256/<hex>        blobs (tensors and thumbnails)
///
/// Incremental: blobs already there with the right size are kept, documents with the same
/// bytes are not rewritten. Every file is written to a temporary name and renamed; the index
/// goes last, so a reader never sees an index naming files that are not there yet.
public struct StaticMirror {
    /// What a mirror run did.
    public struct Report: Sendable, Equatable {
        /// The mirror folder.
        public var directory: String
        /// Versions in the index.
        public var versions: Int
        /// Version documents written (new or changed).
        public var documentsWritten: Int
        /// Blobs copied (each distinct blob counts once).
        public var blobsWritten: Int
        /// Blobs already present with the right size (each distinct blob counts once).
        public var blobsKept: Int
        /// Bytes of blobs copied.
        public var bytesWritten: Int64
        /// The store's change counter the index was made at.
        public var changeCounter: Int64
    }

    private let store: Store

    /// A mirror writer for `store`.
    public init(store: Store) {
        self.store = store
    }

    /// Writes (or brings up to date) the mirror in `directory`, creating it if needed.
    /// - Throws: `StoreError` reading the store (a missing blob is `.integrity`),
    ///   `RemoteError` `.io` writing the mirror.
    public func write(to directory: String) throws -> Report {
        let root = URL(fileURLWithPath: directory).standardizedFileURL.path
        for sub in ["v1/versions/sha256", "v1/blobs/sha256"] {
            try Self.makeDirectory(root + "/" + sub)
        }
        let index = try store.registryIndex()
        var report = Report(directory: root, versions: 0, documentsWritten: 0, blobsWritten: 0,
                            blobsKept: 0, bytesWritten: 0, changeCounter: index.changeCounter)
        var seen = Set<Digest>()
        for entry in index.packages {
            for version in entry.versions {
                report.versions += 1
                let document = try store.versionDocument(digest: version.digest)
                var blobs = document.tensors.map { ($0.digest, Optional($0.byteSize)) }
                blobs += document.thumbnails.map { ($0.digest, Int64?.none) }
                for (digest, size) in blobs where seen.insert(digest).inserted {
                    let written = try copyBlob(digest, size: size, root: root)
                    if let written {
                        report.blobsWritten += 1
                        report.bytesWritten += written
                    } else {
                        report.blobsKept += 1
                    }
                }
                let path = root + "/" + RegistryPaths.versionDocument(version.digest)
                if try Self.replace(path, with: RegistryJSON.encode(document)) {
                    report.documentsWritten += 1
                }
            }
        }
        _ = try Self.replace(root + "/" + RegistryPaths.index, with: RegistryJSON.encode(index))
        return report
    }

    // MARK: - Steps

    /// Copies one blob unless the mirror holds it with the right size; returns the bytes
    /// copied, or nil when it was kept.
    private func copyBlob(_ digest: Digest, size: Int64?, root: String) throws -> Int64? {
        guard let source = store.blobFile(digest) else {
            throw StoreError(.integrity, "blob \(digest) is missing from the store; run verify",
                             digest: digest.description)
        }
        let expected = size ?? PartialDownload.fileSize(source)
        let target = root + "/" + RegistryPaths.blob(digest)
        if let present = PartialDownload.fileSize(target), present == expected {
            return nil
        }
        return try Self.copy(source, to: target)
    }

    /// Streams `source` into a temporary file beside `target`, fsyncs it and renames it
    /// into place; returns the bytes copied.
    static func copy(_ source: String, to target: String) throws(RemoteError) -> Int64 {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw ioError("open", source) }
        defer { close(input) }
        let temporary = temporaryName(for: target)
        let output = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw ioError("create", temporary) }
        var copied: Int64 = 0
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        do throws(RemoteError) {
            while true {
                let count = read(input, buffer, chunk)
                if count < 0, errno == EINTR { continue }
                guard count >= 0 else { throw ioError("read", source) }
                if count == 0 { break }
                try writeAll(output, buffer, count, path: temporary)
                copied += Int64(count)
            }
            guard fsync(output) == 0 else { throw ioError("fsync", temporary) }
            close(output)
            guard rename(temporary, target) == 0 else { throw ioError("rename", target) }
        } catch {
            close(output)
            unlink(temporary)
            throw error
        }
        return copied
    }

    /// Writes `data` to `path` through a temporary file and a rename, unless the file already
    /// holds exactly `data`. Returns whether it wrote.
    static func replace(_ path: String, with data: Data) throws(RemoteError) -> Bool {
        if PartialDownload.fileSize(path) == Int64(data.count),
           let present = try? Data(contentsOf: URL(fileURLWithPath: path)), present == data {
            return false
        }
        let temporary = temporaryName(for: path)
        let output = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw ioError("create", temporary) }
        do throws(RemoteError) {
            let failure: RemoteError? = data.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { return nil }
                do throws(RemoteError) {
                    try writeAll(output, base, raw.count, path: temporary)
                    return nil
                } catch {
                    return error
                }
            }
            if let failure { throw failure }
            guard fsync(output) == 0 else { throw ioError("fsync", temporary) }
            close(output)
            guard rename(temporary, path) == 0 else { throw ioError("rename", path) }
        } catch {
            close(output)
            unlink(temporary)
            throw error
        }
        return true
    }

    private static func writeAll(_ fd: Int32, _ base: UnsafeRawPointer, _ count: Int,
                                 path: String) throws(RemoteError) {
        var offset = 0
        while offset < count {
            let written = Glibc.write(fd, base + offset, count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw ioError("write", path)
            }
            offset += written
        }
    }

    /// A hidden name in the target's folder (same file system, so the rename is atomic); a
    /// reader listing the folder never takes it for a blob.
    private static func temporaryName(for target: String) -> String {
        let url = URL(fileURLWithPath: target)
        return url.deletingLastPathComponent().path + "/." + url.lastPathComponent + "."
            + UUID().uuidString.lowercased() + ".tmp"
    }

    private static func makeDirectory(_ path: String) throws(RemoteError) {
        do {
            try FileManager.default.createDirectory(atPath: path,
                                                    withIntermediateDirectories: true)
        } catch {
            throw RemoteError(.io, "cannot create folder \(path): \(error.localizedDescription)")
        }
    }

    private static func ioError(_ what: String, _ path: String) -> RemoteError {
        RemoteError(.io, "\(what) \(path) failed: " + String(cString: strerror(errno)))
    }
}
