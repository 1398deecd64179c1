import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A body sink that writes the body to a new file, so an upload is never held whole in
/// memory; the file is removed when the request ends (`end()`).
///
/// The handler reads the file in `respond` after calling `finish()`.
public final class HTTPFileSink: HTTPBodySink, @unchecked Sendable {
    // @unchecked Sendable: the mutable state is only touched with `lock` held; the daemon calls
    // `write` and `end` from one connection thread, and `respond` runs on that same thread.
    private let lock = NSLock()
    private var descriptor: Int32?
    private var written = 0
    private var failure: String?
    /// The file the body goes to.
    public let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    /// Creates the file at `path` (which must not exist yet; mode 0600), or says why it
    /// cannot (`.io`).
    public static func create(at path: String) -> Result<HTTPFileSink, HTTPServerError> {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            return .failure(HTTPServerError(.io, "cannot create \(path): \(reason)",
                                            context: ["path": path]))
        }
        return .success(HTTPFileSink(descriptor: descriptor, path: path))
    }

    /// The bytes written so far.
    public var bytesWritten: Int { lock.withLock { written } }

    /// Why writing failed (errno text), if it did.
    public var writeFailure: String? { lock.withLock { failure } }

    /// Writes a chunk in full; false (and `writeFailure` set) when the file cannot take it.
    public func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        lock.withLock {
            guard let descriptor, failure == nil, let base = bytes.baseAddress else {
                return failure == nil && bytes.isEmpty
            }
            var offset = 0
            while offset < bytes.count {
                let count = writeSome(descriptor, base + offset, bytes.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno))
                    return false
                }
                offset += count
            }
            written += bytes.count
            return true
        }
    }

    /// Closes the file so it can be read; false when a write or the close failed.
    @discardableResult
    public func finish() -> Bool {
        lock.withLock {
            if let descriptor, close(descriptor) != 0, failure == nil {
                failure = String(cString: strerror(errno))
            }
            descriptor = nil
            return failure == nil
        }
    }

    /// Closes and removes the file.
    public func end() {
        finish()
        unlink(path)
    }

    deinit {
        if let descriptor {
            close(descriptor)
            unlink(path)
        }
    }
}

/// write(2), named apart from `HTTPFileSink.write`.
private func writeSome(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
