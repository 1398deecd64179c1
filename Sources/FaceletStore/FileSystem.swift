import Foundation
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The POSIX calls the store needs (fsync, rename, flock), each mapping errno to `StoreError`.
enum FileSystem {
    /// An `.io` error for the failed call `what` on `path`, with errno's text.
    static func ioError(_ what: String, path: String, errno code: Int32 = errno) -> StoreError {
        StoreError(.io, "\(what) failed: \(String(cString: strerror(code)))", path: path)
    }

    /// Whether a regular file or directory exists at `path`.
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// The size of the regular file at `path`, or nil if there is none.
    static func fileSize(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(info.st_size)
    }

    /// Creates directory `path` (and its parents) if missing.
    static func makeDirectory(_ path: String) throws(StoreError) {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true)
        } catch {
            throw StoreError(.io, "cannot create directory: \(error.localizedDescription)",
                             path: path)
        }
    }

    /// Flushes the directory entry table of `path` to disk, so a rename into it survives a
    /// power loss (POSIX: fsync on the file does not make its new name durable).
    static func syncDirectory(_ path: String) throws(StoreError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ioError("open directory", path: path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw ioError("fsync directory", path: path) }
    }

    /// Writes `data` to a new file at `path` and fsyncs it. Fails if the file exists.
    static func writeNewFile(_ data: Data, to path: String) throws(StoreError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ioError("create file", path: path) }
        var failure: StoreError?
        data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var offset = 0
            while offset < raw.count {
                let written = write(fd, base + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = ioError("write", path: path)
                    return
                }
                offset += written
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = ioError("fsync", path: path) }
        close(fd)
        if let failure {
            unlink(path)
            throw failure
        }
    }

    /// Flushes the file at `path` to disk.
    static func syncFile(_ path: String) throws(StoreError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ioError("open", path: path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw ioError("fsync", path: path) }
    }

    /// Atomically renames `source` to `destination` (same file system), replacing it.
    static func rename(_ source: String, to destination: String) throws(StoreError) {
        #if canImport(Glibc)
        let status = Glibc.rename(source, destination)
        #else
        let status = Darwin.rename(source, destination)
        #endif
        guard status == 0 else {
            throw ioError("rename to \(destination)", path: source)
        }
    }

    /// Removes the file at `path`; a missing file is not an error.
    static func removeFile(_ path: String) throws(StoreError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw ioError("unlink", path: path) }
    }

    /// Reads the whole file at `path`.
    static func read(_ path: String) throws(StoreError) -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .uncached)
        } catch {
            throw StoreError(.io, "cannot read file: \(error.localizedDescription)", path: path)
        }
    }

    /// The names in directory `path` (empty if it does not exist).
    static func list(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }
}

/// An advisory `flock(2)` lock on the store's lock file, held while the value lives.
///
/// flock locks belong to the open file description, so two `Store` values in one process lock
/// against each other just as two processes do, and the kernel drops the lock when a process
/// dies, so a killed publish never leaves the store locked.
final class FileLock {
    /// Shared (many holders: publishes) or exclusive (one holder: gc).
    enum Mode { case shared, exclusive }

    private let fd: Int32

    /// Opens `path` (creating it) and takes the lock, polling up to `timeout` seconds.
    /// - Parameter busyMessage: The `.busy` error's message when the timeout passes (the
    ///   default names store.lock's holders: gc or publishes).
    init(path: String, mode: Mode, timeout: Double,
         busyMessage: String? = nil) throws(StoreError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystem.ioError("open lock file", path: path) }
        let operation = (mode == .shared ? LOCK_SH : LOCK_EX) | LOCK_NB
        let deadline = Date().addingTimeInterval(timeout)
        while flock(fd, operation) != 0 {
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR else {
                close(fd)
                throw FileSystem.ioError("flock", path: path, errno: code)
            }
            guard Date() < deadline else {
                close(fd)
                throw StoreError(
                    .busy,
                    busyMessage ?? (mode == .shared
                        ? "a garbage collection is running on this store; try again later"
                        : "publishes are in progress on this store; try gc again later"),
                    path: path)
            }
            usleep(10_000)
        }
        self.fd = fd
    }

    deinit {
        // Closing the descriptor releases the lock.
        close(fd)
    }
}
