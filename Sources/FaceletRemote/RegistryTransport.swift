import Foundation
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How the client reaches a registry's read API (and, over HTTP, its publish endpoint).
///
/// Implementations are used by one thread at a time.
protocol RegistryTransport: AnyObject {
    /// Where the registry is (for messages).
    var location: RemoteLocation { get }

    /// GETs a small document (`v1/index`, a version document), at most `limit` bytes.
    /// - Throws: `RemoteError`: `.notFound`, `.unauthorized`, `.badResponse`, `.connection`.
    func fetch(_ path: String, limit: Int) throws(RemoteError) -> Data

    /// GETs a blob into `partial`, asking only for the bytes after `partial.size` when it
    /// already holds some (a resume). Stops at the first byte that is not what the API
    /// promises (status, type, range); never writes an error body into the file.
    /// - Throws: `RemoteError`: `.badRange`, `.badResponse`, `.blobMismatch`, `.notFound`,
    ///   `.connection`, `.io`.
    func download(_ path: String, into partial: PartialDownload) throws(RemoteError)
}

/// Serves the read API from a mirror folder on this machine (`file:///abs/dir`).
final class DirectoryTransport: RegistryTransport {
    let location: RemoteLocation
    private let root: String

    init(root: String) {
        self.root = root
        location = .directory(path: root)
    }

    func fetch(_ path: String, limit: Int) throws(RemoteError) -> Data {
        let file = root + "/" + path
        guard let size = PartialDownload.fileSize(file) else {
            throw RemoteError(.notFound, "the mirror has no \(path)", url: location.url(path))
        }
        guard size <= Int64(limit) else {
            throw RemoteError(.badResponse, "\(path) is \(size) bytes, above the \(limit) limit",
                              url: location.url(path))
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw RemoteError(.io, "cannot read \(file): \(error.localizedDescription)",
                              url: location.url(path))
        }
    }

    func download(_ path: String, into partial: PartialDownload) throws(RemoteError) {
        let file = root + "/" + path
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw RemoteError(.notFound, "the mirror has no \(path)", url: location.url(path),
                              digest: partial.digest.description)
        }
        defer { close(fd) }
        guard lseek(fd, off_t(partial.size), SEEK_SET) >= 0 else {
            throw RemoteError(.io, "cannot seek in \(file)", url: location.url(path))
        }
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer, chunk)
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else {
                throw RemoteError(.io, "cannot read \(file): " + String(cString: strerror(errno)),
                                  url: location.url(path))
            }
            if count == 0 { return }
            guard partial.append(UnsafeRawBufferPointer(start: buffer, count: count)) else {
                throw partial.appendFailure
                    ?? RemoteError(.io, "cannot append to \(partial.partPath)")
            }
        }
    }
}
