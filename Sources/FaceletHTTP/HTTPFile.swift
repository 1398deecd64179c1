import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An open regular file to send as a response body (`HTTPResponse.Body.file`).
///
/// Owns the descriptor until the daemon takes it for a response (libmicrohttpd then closes
/// it when the response is destroyed); closes it on deinit if nobody took it. The size is read
/// from the open descriptor, so it describes the bytes that will be sent even if the path is
/// replaced meanwhile.
public final class HTTPFile: @unchecked Sendable {
    // @unchecked Sendable: `descriptor` is only read or changed with `lock` held; `size` and
    // `path` are immutable.
    private let lock = NSLock()
    private var descriptor: Int32?
    /// The file's size in bytes when it was opened.
    public let size: UInt64
    /// The path it was opened from (for messages).
    public let path: String

    private init(descriptor: Int32, size: UInt64, path: String) {
        self.descriptor = descriptor
        self.size = size
        self.path = path
    }

    /// Opens `path` for reading; nil when it does not exist, cannot be opened, or is not a
    /// regular file.
    public static func open(_ path: String) -> HTTPFile? {
        guard let (descriptor, size) = openRegularFile(path) else { return nil }
        return HTTPFile(descriptor: descriptor, size: size, path: path)
    }

    /// Hands the descriptor over to the caller, who must close it; nil if already taken.
    func take() -> Int32? {
        lock.withLock {
            defer { descriptor = nil }
            return descriptor
        }
    }

    deinit {
        if let descriptor { close(descriptor) }
    }
}

/// Opens `path` read-only and checks it is a regular file; its descriptor and size. (Outside
/// the type, where `open` is the C function rather than `HTTPFile.open`.)
private func openRegularFile(_ path: String) -> (Int32, UInt64)? {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    var info = stat()
    guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG,
          info.st_size >= 0 else {
        close(descriptor)
        return nil
    }
    return (descriptor, UInt64(info.st_size))
}
