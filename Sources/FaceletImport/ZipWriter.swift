import CZip
import Foundation

/// Writes a zip archive of stored (uncompressed) entries to a file, through libzip.
///
/// Owns the `zip_t *` until `close()`; `deinit` discards an archive never closed, so a failed
/// export leaves no file behind.
final class ZipWriter {
    private var handle: OpaquePointer?
    private let path: String

    /// A fixed modification time (2000-01-01) so equal content gives equal bytes.
    private static let modificationTime: time_t = 946_684_800

    /// Creates (or truncates) the archive at `url`.
    init(url: URL) throws(ImportError) {
        path = url.path
        var code: Int32 = 0
        guard let archive = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &code) else {
            throw ImportError(.unreadable, "cannot create the archive (libzip error \(code))",
                              context: ["file.path": path])
        }
        handle = archive
    }

    deinit {
        if let handle { zip_discard(handle) }
    }

    /// Adds an entry holding `data`, stored without compression.
    func add(_ name: String, _ data: Data) throws(ImportError) {
        guard let handle else { preconditionFailure("add after close") }
        // libzip reads the buffer at close(); it owns this copy and frees it (freep = 1).
        guard let copy = malloc(max(data.count, 1)) else {
            throw ImportError(.unreadable, "out of memory")
        }
        data.withUnsafeBytes { raw in
            if let base = raw.baseAddress { copy.copyMemory(from: base, byteCount: raw.count) }
        }
        guard let source = zip_source_buffer(handle, copy, zip_uint64_t(data.count), 1) else {
            free(copy)
            throw failure("cannot buffer \(name)")
        }
        let index = zip_file_add(handle, name, source, zip_flags_t(ZIP_FL_ENC_UTF_8))
        guard index >= 0 else {
            zip_source_free(source)
            throw failure("cannot add \(name)")
        }
        guard zip_set_file_compression(handle, zip_uint64_t(index), ZIP_CM_STORE, 0) == 0,
              zip_file_set_mtime(handle, zip_uint64_t(index), Self.modificationTime, 0) == 0
        else {
            throw failure("cannot set up \(name)")
        }
    }

    /// Writes the archive out.
    func close() throws(ImportError) {
        guard let handle else { return }
        guard zip_close(handle) == 0 else {
            let error = failure("cannot write the archive")
            zip_discard(handle)
            self.handle = nil
            throw error
        }
        self.handle = nil
    }

    private func failure(_ what: String) -> ImportError {
        let reason = handle.map { String(cString: zip_strerror($0)) } ?? ""
        return ImportError(.unreadable, "\(what): \(reason)", context: ["file.path": path])
    }
}
