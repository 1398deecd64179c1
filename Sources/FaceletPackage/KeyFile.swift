import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading and creating key files.
enum KeyFile {
    /// Key files are small; anything larger is not one.
    static let maximumSize = 1 << 20

    /// The bytes of a key file (at most 1 MiB).
    static func read(_ path: String) throws(SignatureError) -> Data {
        let context = ["file.path": path]
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?
            .intValue
        guard let size else {
            throw SignatureError(.io, "cannot read key file \(path): no such readable file",
                                 context: context)
        }
        guard size <= maximumSize else {
            throw SignatureError(.badPEM, "\(path) is \(size) bytes; a key file is a few hundred",
                                 context: context)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SignatureError(.io, "cannot read key file \(path)", context: context)
        }
        return data
    }

    /// Creates `path` with `mode` and writes `data`; refuses to replace an existing file.
    ///
    /// `O_CREAT | O_EXCL` makes creation and the existence check one step, so a key is never
    /// overwritten even by a concurrent writer, and a private key is never world-readable,
    /// not even for a moment.
    static func writeNew(_ data: Data, to path: String, mode: mode_t) throws(SignatureError) {
        let context = ["file.path": path]
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else {
            let code = errno
            if code == EEXIST {
                throw SignatureError(.fileExists,
                                     "\(path) already exists; keys are never overwritten "
                                         + "(choose another name or directory)",
                                     context: context)
            }
            throw SignatureError(.io, "cannot create \(path): \(String(cString: strerror(code)))",
                                 context: context)
        }
        var failure: Int32 = 0
        data.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            var offset = 0
            while offset < bytes.count {
                let written = write(fd, base + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += written
            }
        }
        if failure == 0, fsync(fd) != 0 { failure = errno }
        if close(fd) != 0, failure == 0 { failure = errno }
        if failure != 0 {
            unlink(path)
            throw SignatureError(.io,
                                 "cannot write \(path): \(String(cString: strerror(failure)))",
                                 context: context)
        }
    }
}
