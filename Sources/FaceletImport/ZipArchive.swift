import CZip
import Foundation

/// A zip archive opened read-only from bytes in memory, through libzip.
///
/// Owns the `zip_t *`; freed in `deinit`. Not `Sendable`: one reader uses it and drops it.
final class ZipArchive {
    private let handle: OpaquePointer
    /// No entry can inflate to more than 1100× the archive (deflate's limit is about 1032×), so
    /// a larger claimed size is a lie and is refused before anything is allocated.
    private let inflationLimit: UInt64

    /// The largest entry the importer reads (uncompressed): 8 GiB.
    static let maxEntryBytes: UInt64 = 8 << 30

    /// Opens the archive in `data`, checking the central directory's consistency.
    /// - Throws: `ImportError` `.badArchive` when libzip cannot open it.
    init(_ data: Data) throws(ImportError) {
        var error = zip_error_t()
        zip_error_init(&error)
        defer { zip_error_fini(&error) }
        // libzip reads from its own copy, which it frees (freep = 1) with the source.
        guard let copy = malloc(max(data.count, 1)) else {
            throw ImportError(.unreadable, "out of memory copying the archive")
        }
        data.withUnsafeBytes { raw in
            if let base = raw.baseAddress { copy.copyMemory(from: base, byteCount: raw.count) }
        }
        guard let source = zip_source_buffer_create(copy, zip_uint64_t(data.count), 1, &error)
        else {
            free(copy)
            throw ImportError(.badArchive, "cannot read the archive: "
                              + String(cString: zip_error_strerror(&error)))
        }
        guard let archive = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error) else {
            zip_source_free(source)
            throw ImportError(.badArchive,
                              "the zip archive is damaged or truncated ("
                              + String(cString: zip_error_strerror(&error)) + ")")
        }
        handle = archive
        inflationLimit = UInt64(data.count) * 1100
    }

    deinit {
        zip_discard(handle)
    }

    /// The names of all entries, in archive order.
    func entryNames() throws(ImportError) -> [String] {
        let count = zip_get_num_entries(handle, 0)
        guard count >= 0 else { throw ImportError(.badArchive, "cannot list the archive") }
        var names: [String] = []
        for index in 0..<zip_uint64_t(count) {
            guard let name = zip_get_name(handle, index, 0) else {
                throw ImportError(.badArchive, "entry \(index) has no readable name")
            }
            names.append(String(cString: name))
        }
        return names
    }

    /// Whether an entry named `name` exists.
    func contains(_ name: String) -> Bool {
        zip_name_locate(handle, name, 0) >= 0
    }

    /// The whole uncompressed content of entry `name`, CRC-checked by libzip.
    /// - Parameter limit: the most bytes the caller accepts for this entry.
    /// - Throws: `ImportError` `.badArchive` when the entry is missing, larger than `limit`,
    ///   or cannot be read completely.
    func read(_ name: String, limit: UInt64 = ZipArchive.maxEntryBytes) throws(ImportError)
        -> Data {
        let context = ["zip.entry": String(name.prefix(200))]
        let index = zip_name_locate(handle, name, 0)
        guard index >= 0 else {
            throw ImportError(.badArchive, "the archive lacks the entry \(name)",
                              context: context)
        }
        var stat = zip_stat_t()
        zip_stat_init(&stat)
        guard zip_stat_index(handle, zip_uint64_t(index), 0, &stat) == 0,
              stat.valid & zip_uint64_t(ZIP_STAT_SIZE) != 0 else {
            throw ImportError(.badArchive, "cannot read the size of \(name)", context: context)
        }
        let allowed = min(limit, inflationLimit)
        guard stat.size <= allowed else {
            throw ImportError(.badArchive,
                              "\(name) claims \(stat.size) bytes, more than the \(allowed)"
                              + " allowed; the archive is corrupt or hostile",
                              context: context)
        }
        guard let file = zip_fopen_index(handle, zip_uint64_t(index), 0) else {
            throw ImportError(.badArchive,
                              "cannot open \(name): " + String(cString: zip_strerror(handle)),
                              context: context)
        }
        defer { zip_fclose(file) }
        let size = Int(stat.size)
        var data = Data(count: size)
        var total = 0
        let failed: Bool = data.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return false }
            while total < size {
                let got = zip_fread(file, base + total, zip_uint64_t(size - total))
                if got <= 0 { return true }
                total += Int(got)
            }
            // libzip checks the CRC when a read reaches the end: one more read must give 0.
            var extra: UInt8 = 0
            return zip_fread(file, &extra, 1) != 0
        }
        guard !failed, total == size else {
            let reason = String(cString: zip_file_strerror(file))
            throw ImportError(.badArchive,
                              "\(name) is truncated or corrupt: read \(total) of \(size) bytes"
                              + " (\(reason))", context: context)
        }
        return data
    }
}
