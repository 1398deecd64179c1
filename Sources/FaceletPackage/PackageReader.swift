import Foundation

/// Reads and strictly checks Facelet packages (docs/format.md, "What the reader enforces").
///
/// Every violation is a thrown `PackageError`; no input can crash the reader.
public enum PackageReader {
    /// The largest header accepted: 16 MiB.
    public static let maxHeaderBytes = 16 << 20

    /// Reads the package file at `url`.
    /// - Throws: `PackageError`: `.unreadable` when the file cannot be read, otherwise the
    ///   code of the first rule the content breaks (with `file.path` in the context).
    public static func read(contentsOf url: URL) throws(PackageError) -> Package {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
            throw PackageError(.unreadable, "no such file",
                               context: ["file.path": url.path])
        }
        guard !isFolder.boolValue else {
            throw PackageError(.unreadable, "this is a folder, not a package file",
                               context: ["file.path": url.path])
        }
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            // Foundation's description is a dump of NSError fields; its localised sentence
            // ("You don't have permission.") reads better.
            throw PackageError(.unreadable,
                               "cannot read the file: \(error.localizedDescription)",
                               context: ["file.path": url.path])
        }
        do {
            return try read(data)
        } catch {
            throw error.adding(["file.path": url.path])
        }
    }

    /// Reads a package from its bytes.
    /// - Throws: `PackageError` with the code of the first rule the content breaks.
    public static func read(_ data: Data) throws(PackageError) -> Package {
        let (header, dataStart) = try splitHeader(data)
        let parsed = try HeaderParser.parse(header)
        let manifest = try readManifest(parsed.metadata)
        let dataLength = data.endIndex - dataStart
        let layouts = try parsed.entries.map { entry throws(PackageError) in
            try TensorLayout(entry, dataLength: dataLength)
        }
        try checkTiling(layouts, dataLength: dataLength)

        var tensors: [PackageTensor] = []
        tensors.reserveCapacity(layouts.count)
        for layout in layouts.sorted(by: { NameOrder.less($0.name, $1.name) }) {
            let begin = dataStart + layout.begin
            let bytes = data.subdata(in: begin..<(begin + layout.byteCount))
            tensors.append(PackageTensor(name: layout.name, dtype: layout.dtype,
                                         shape: layout.shape, bytes: bytes))
        }
        try ContentRules.check(manifest: manifest, sortedTensors: tensors)
        return Package(manifest: manifest, sortedTensors: tensors)
    }

    // MARK: - Steps

    /// Splits off the header bytes; returns them and the index where the data section starts.
    /// (`data` may be a slice, so every index is taken relative to `data.startIndex`.)
    private static func splitHeader(_ data: Data) throws(PackageError) -> (Data, Int) {
        guard data.count >= 8 else {
            throw PackageError(.truncated,
                               "the file has \(data.count) bytes, fewer than the 8-byte header"
                               + " length; it is not a package or was cut short")
        }
        var length: UInt64 = 0
        for index in (0..<8).reversed() {
            length = length << 8 | UInt64(data[data.startIndex + index])
        }
        guard length <= UInt64(maxHeaderBytes) else {
            throw PackageError(.headerTooLarge,
                               "the header length \(length) is above the 16 MiB cap; the file is"
                               + " corrupt or not a package",
                               context: ["header.length": String(length)])
        }
        let end = data.startIndex + 8 + Int(length)
        guard end <= data.endIndex else {
            throw PackageError(.truncated,
                               "the header needs \(length) bytes but the file ends after"
                               + " \(data.count - 8); the file was cut short",
                               context: ["header.length": String(length)])
        }
        return (data.subdata(in: (data.startIndex + 8)..<end), end)
    }

    /// Checks the Facelet metadata and decodes and validates the manifest.
    private static func readManifest(_ metadata: [String: String]?) throws(PackageError)
        -> Manifest {
        guard let metadata else {
            throw PackageError(.badMetadata,
                               "the header has no \"__metadata__\"; this is a plain safetensors"
                               + " file, not a Facelet package")
        }
        guard let format = metadata["facelet.format"] else {
            throw PackageError(.badMetadata,
                               "the metadata lacks \"facelet.format\"; write \"1\" there")
        }
        guard format == "1" else {
            throw PackageError(.badMetadata,
                               "facelet.format \"\(format.prefix(20))\" is not \"1\"; this reader"
                               + " only knows format 1")
        }
        guard let text = metadata["facelet.manifest"] else {
            throw PackageError(.badMetadata,
                               "the metadata lacks \"facelet.manifest\", the manifest JSON")
        }
        let manifest = try Manifest.decode(Data(text.utf8))
        try manifest.validate()
        return manifest
    }

    /// Refuses overlapping ranges, gaps and trailing bytes: the data section must be exactly the
    /// tensors back to back.
    private static func checkTiling(_ layouts: [TensorLayout],
                                    dataLength: Int) throws(PackageError) {
        let ordered = layouts.sorted { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var position = 0
        var previous = "(start of data)"
        for layout in ordered {
            if layout.begin < position {
                throw PackageError(.overlap,
                                   "the byte ranges of \"\(previous)\" and \"\(layout.name)\""
                                   + " overlap; each byte belongs to one tensor",
                                   context: ["tensor.name": layout.name])
            }
            if layout.begin > position {
                throw PackageError(.gap,
                                   "\(layout.begin - position) unused bytes lie before"
                                   + " \"\(layout.name)\"; tensors must be back to back",
                                   context: ["tensor.name": layout.name])
            }
            position = layout.end
            previous = layout.name
        }
        guard position == dataLength else {
            throw PackageError(.gap,
                               "\(dataLength - position) trailing bytes follow the last tensor;"
                               + " the data section must end with it",
                               context: ["data.length": String(dataLength)])
        }
    }
}

/// Where one tensor lies in the data section, checked against its dtype and shape.
struct TensorLayout {
    let name: String
    let dtype: DType
    let shape: [Int]
    let begin: Int
    let end: Int
    var byteCount: Int { end - begin }

    init(_ entry: HeaderParser.Entry, dataLength: Int) throws(PackageError) {
        let context = ["tensor.name": String(entry.name.prefix(80))]
        try TensorName.validate(entry.name)
        guard let dtype = DType(rawValue: entry.dtype) else {
            throw PackageError(.badDtype,
                               "dtype \"\(entry.dtype.prefix(20))\" is not supported; use F32"
                               + " (or F16, BF16, F64)",
                               context: context)
        }
        guard entry.shape.allSatisfy({ $0 >= 0 }) else {
            throw PackageError(.badShape, "the shape \(entry.shape) has a negative dimension",
                               context: context)
        }
        guard let count = PackageTensor.elementCount(entry.shape),
              case (let bytes, false) = count.multipliedReportingOverflow(by: dtype.size) else {
            throw PackageError(.badShape, "the element count of \(entry.shape) overflows",
                               context: context)
        }
        guard entry.offsets.count == 2 else {
            throw PackageError(.badHeader, "data_offsets must be [begin, end]", context: context)
        }
        let (begin, end) = (entry.offsets[0], entry.offsets[1])
        guard begin >= 0, begin <= end else {
            throw PackageError(.offsets, "data_offsets [\(begin), \(end)] has begin > end",
                               context: context)
        }
        guard end <= dataLength else {
            throw PackageError(.offsets,
                               "data_offsets end \(end) passes the end of the data section"
                               + " (\(dataLength) bytes); the file was cut short",
                               context: context)
        }
        guard end - begin == bytes else {
            throw PackageError(.offsets,
                               "data_offsets span \(end - begin) bytes but \(entry.shape) of"
                               + " \(dtype.rawValue) needs \(bytes)",
                               context: context)
        }
        self.name = entry.name
        self.dtype = dtype
        self.shape = entry.shape
        self.begin = begin
        self.end = end
    }
}
