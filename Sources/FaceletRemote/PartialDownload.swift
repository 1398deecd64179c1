import FaceletPackage
import Foundation
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One blob being downloaded into `<store>/partial/<hex>.part`, with its record
/// `<hex>.json` (URL, expected size), hashed as the bytes arrive (docs/remote.md, "Pulling").
///
/// A `.part` left by an earlier, interrupted pull is resumed when its record names the same
/// digest and size: its bytes are hashed again and the transport asks for the rest only.
/// `finish()` checks the size and SHA-256; a mismatching `.part` is deleted.
///
/// Not thread-safe: one download is driven by one thread (libcurl calls `append` on the
/// thread running `curl_easy_perform`).
final class PartialDownload {
    /// The blob's digest (its SHA-256).
    let digest: Digest
    /// The size the version document promises.
    let expectedSize: Int64
    /// `<dir>/<hex>.part`.
    let partPath: String
    /// `<dir>/<hex>.json`.
    let recordPath: String
    /// Bytes already in the `.part` before this download started (what a resume skips).
    private(set) var resumedFrom: Int64 = 0
    /// Bytes in the `.part` now.
    private(set) var size: Int64 = 0
    /// Called after each appended piece with its byte count.
    var onAppend: ((Int) -> Void)?

    private var hasher = SHA256Hasher()
    private var fd: Int32 = -1
    /// Received bytes not yet written: libcurl hands over at most 16 KiB per callback, and one
    /// write(2) per MiB instead costs far fewer system calls.
    private let buffer: UnsafeMutableRawPointer
    private var buffered = 0
    /// The write buffer's size.
    static let bufferSize = 1 << 20
    /// Set when `append` refused bytes (more than the expected size, a failed write).
    private(set) var appendFailure: RemoteError?

    /// The record written beside a `.part`.
    struct Record: Codable, Equatable {
        var digest: Digest
        var size: Int64
        var url: String
    }

    /// Opens (resuming) or creates the `.part` of `digest` in `directory`.
    /// - Parameters:
    ///   - resume: false deletes any earlier `.part` first (`pull --no-resume`).
    /// - Throws: `RemoteError` `.io`.
    init(directory: String, digest: Digest, expectedSize: Int64, url: String,
         resume: Bool) throws(RemoteError) {
        self.digest = digest
        self.expectedSize = expectedSize
        buffer = .allocate(byteCount: Self.bufferSize, alignment: 64)
        partPath = "\(directory)/\(digest.hex).part"
        recordPath = "\(directory)/\(digest.hex).json"
        let record = Record(digest: digest, size: expectedSize, url: url)
        let previous = (try? Data(contentsOf: URL(fileURLWithPath: recordPath)))
            .flatMap { try? JSONDecoder().decode(Record.self, from: $0) }
        let existing = Self.fileSize(partPath)
        // A record naming this blob makes a .part resumable; a complete .part whose record
        // was already dropped (finish() drops it) is still checked and used.
        let recorded = previous.map { $0.digest == digest && $0.size == expectedSize } ?? false
        if resume, let existing, existing <= expectedSize,
           recorded || (previous == nil && existing == expectedSize) {
            try openForAppend()
            try hashPrefix(existing)
        } else {
            discard()
            try writeRecord(record)
            try openForAppend()
        }
    }

    deinit {
        if fd >= 0 {
            // A download cut off keeps what arrived, for the next pull to resume.
            _ = writeBuffered()
            close(fd)
        }
        buffer.deallocate()
    }

    /// Appends received bytes and hashes them. Returns false (and remembers why) when the
    /// bytes would pass the expected size or cannot be written.
    func append(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard appendFailure == nil else { return false }
        guard size + Int64(bytes.count) <= expectedSize else {
            appendFailure = RemoteError(
                .blobMismatch,
                "blob \(digest.short)… is longer than the \(expectedSize) bytes its version "
                    + "document names; the remote holds altered data",
                digest: digest.description)
            return false
        }
        guard let base = bytes.baseAddress else { return true }
        if buffered + bytes.count > Self.bufferSize {
            guard writeBuffered() else { return false }
        }
        if bytes.count >= Self.bufferSize {
            guard writeAll(base, bytes.count) else { return false }
        } else {
            (buffer + buffered).copyMemory(from: base, byteCount: bytes.count)
            buffered += bytes.count
        }
        hasher.update(bytes)
        size += Int64(bytes.count)
        onAppend?(bytes.count)
        return true
    }

    /// Checks the size and SHA-256 and closes the `.part`; deletes it on a mismatch. The store
    /// fsyncs it before renaming it into `blobs/` (`Store.publishPulled`).
    /// - Returns: The path of the verified `.part`.
    /// - Throws: `RemoteError` `.blobMismatch` (the `.part` is gone), `.io`.
    func finish() throws(RemoteError) -> String {
        guard writeBuffered() else {
            throw appendFailure ?? RemoteError(.io, "cannot write \(partPath)")
        }
        guard size == expectedSize else {
            discard()
            throw RemoteError(.blobMismatch,
                              "blob \(digest.short)… has \(size) bytes, not the "
                                  + "\(expectedSize) its version document names; the remote "
                                  + "sent a truncated or altered file",
                              digest: digest.description)
        }
        let actual = hasher.finalize()
        hasher = SHA256Hasher()
        guard actual == digest else {
            discard()
            throw RemoteError(.blobMismatch,
                              "blob \(digest.short)… arrived with SHA-256 \(actual.short)…; the "
                                  + "remote holds altered data (nothing was stored)",
                              digest: digest.description)
        }
        close(fd)
        fd = -1
        // Verified: the record has done its job (now, while the network is the bottleneck,
        // rather than after the publish's fsyncs, when the journal is busy).
        unlink(recordPath)
        return partPath
    }

    /// Deletes the `.part` and its record.
    func discard() {
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        unlink(partPath)
        unlink(recordPath)
        buffered = 0
        size = 0
        resumedFrom = 0
        hasher = SHA256Hasher()
    }

    // MARK: - Steps

    /// Writes the buffered bytes to the `.part`; false (with `appendFailure` set) on failure.
    private func writeBuffered() -> Bool {
        guard buffered > 0 else { return true }
        let ok = writeAll(buffer, buffered)
        buffered = 0
        return ok
    }

    private func writeAll(_ base: UnsafeRawPointer, _ count: Int) -> Bool {
        var offset = 0
        while offset < count {
            let written = write(fd, base + offset, count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                appendFailure = RemoteError(.io, "cannot write \(partPath): "
                                                + String(cString: strerror(errno)))
                return false
            }
            offset += written
        }
        return true
    }

    private func writeRecord(_ record: Record) throws(RemoteError) {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(record).write(to: URL(fileURLWithPath: recordPath))
        } catch {
            throw RemoteError(.io, "cannot write \(recordPath): \(error.localizedDescription)")
        }
    }

    private func openForAppend() throws(RemoteError) {
        fd = open(partPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw RemoteError(.io, "cannot open \(partPath): " + String(cString: strerror(errno)))
        }
    }

    /// Hashes the first `length` bytes already in the `.part` (a resume).
    private func hashPrefix(_ length: Int64) throws(RemoteError) {
        let input = open(partPath, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else {
            throw RemoteError(.io, "cannot read \(partPath): " + String(cString: strerror(errno)))
        }
        defer { close(input) }
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var total: Int64 = 0
        while total < length {
            let count = read(input, buffer, Int(min(Int64(chunk), length - total)))
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                throw RemoteError(.io, "cannot read \(partPath): the file shrank")
            }
            hasher.update(UnsafeRawBufferPointer(start: buffer, count: count))
            total += Int64(count)
        }
        size = length
        resumedFrom = length
    }

    static func fileSize(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(info.st_size)
    }
}
