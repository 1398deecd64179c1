import FaceletPackage
import Foundation

/// The container format of a weights file.
public enum SourceFormat: String, Sendable {
    /// `torch.save` since PyTorch 1.6: a zip of `<name>/data.pkl` and `<name>/data/<key>`.
    case pytorchZip = "pytorch-zip"
    /// `torch.save` before 1.6 (or `_use_new_zipfile_serialization=False`): consecutive pickles
    /// followed by the raw storages.
    case pytorchLegacy = "pytorch-legacy"
    /// A safetensors file.
    case safetensors
}

/// Where imported weights came from: recorded in the package's provenance.
public struct SourceFile: Sendable, Equatable {
    /// The file's name (last path component).
    public let fileName: String
    /// The container format.
    public let format: SourceFormat
    /// SHA-256 of the whole file.
    public let sha256: Digest
    /// The file's size in bytes.
    public let byteCount: Int

    /// Describes a source file.
    public init(fileName: String, format: SourceFormat, sha256: Digest, byteCount: Int) {
        self.fileName = fileName
        self.format = format
        self.sha256 = sha256
        self.byteCount = byteCount
    }
}

/// Reads the tensors of a PyTorch checkpoint (zip or legacy) or a safetensors file, without
/// running any code from it (see `PickleMachine`).
public enum CheckpointReader {
    /// The largest pickle accepted (`data.pkl` of a zip checkpoint): 256 MiB.
    public static let maxPickleBytes: UInt64 = 256 << 20

    /// Reads the file at `url`.
    /// - Throws: `ImportError` (`.unreadable` if the file cannot be read; otherwise the code of
    ///   the first problem, with `file.path` in the context).
    public static func read(contentsOf url: URL) throws(ImportError)
        -> (stateDict: StateDict, source: SourceFile) {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw ImportError(.unreadable, "cannot read the file: \(error.localizedDescription)",
                              context: ["file.path": url.path])
        }
        do {
            return try read(data, fileName: url.lastPathComponent)
        } catch {
            throw error.adding(["file.path": url.path])
        }
    }

    /// Reads a checkpoint from its bytes; the format is recognised from the content.
    /// - Throws: `ImportError` naming the first problem.
    public static func read(_ data: Data, fileName: String) throws(ImportError)
        -> (stateDict: StateDict, source: SourceFile) {
        let format = try recognise(data)
        let stateDict: StateDict
        switch format {
        case .pytorchZip: stateDict = try readZip(data)
        case .pytorchLegacy: stateDict = try LegacyCheckpoint.read(Array(data))
        case .safetensors: stateDict = try SafetensorsFile.read(data)
        }
        let source = SourceFile(fileName: fileName, format: format,
                                sha256: Digest.sha256(data), byteCount: data.count)
        return (stateDict, source)
    }

    /// Recognises the container from the first bytes.
    static func recognise(_ data: Data) throws(ImportError) -> SourceFormat {
        let head = Array(data.prefix(16))
        let zipLocal: [UInt8] = [0x50, 0x4b, 0x03, 0x04]
        let zipEmpty: [UInt8] = [0x50, 0x4b, 0x05, 0x06]
        if head.starts(with: zipLocal) || head.starts(with: zipEmpty) {
            return .pytorchZip
        }
        if head.starts(with: LegacyCheckpoint.magicPickle.prefix(4)) {
            return .pytorchLegacy
        }
        if head.count >= 9, head[8] == UInt8(ascii: "{") {
            return .safetensors
        }
        throw ImportError(.unknownFormat,
                          "the file is neither a PyTorch checkpoint (.pth zip or legacy) nor a"
                          + " safetensors file")
    }

    /// A zip checkpoint: one `<prefix>/data.pkl` with its storages in `<prefix>/data/<key>`.
    static func readZip(_ data: Data) throws(ImportError) -> StateDict {
        let archive = try ZipArchive(data)
        let names = try archive.entryNames()
        let pickles = names.filter { name in
            let parts = name.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count == 2 && parts[1] == "data.pkl" && !parts[0].isEmpty
        }
        guard pickles.count == 1, let pickleName = pickles.first else {
            throw ImportError(.badArchive,
                              pickles.isEmpty
                              ? "the archive has no <name>/data.pkl entry; it is not a PyTorch"
                                + " checkpoint or the entry is missing"
                              : "the archive has \(pickles.count) data.pkl entries")
        }
        let prefix = String(pickleName.dropLast("data.pkl".count))
        if archive.contains(prefix + "byteorder") {
            let order = try archive.read(prefix + "byteorder", limit: 16)
            guard String(decoding: order, as: UTF8.self) == "little" else {
                throw ImportError(.badArchive,
                                  "the checkpoint was saved big-endian; re-save it on a"
                                  + " little-endian machine")
            }
        }
        let pickle = try archive.read(pickleName, limit: maxPickleBytes)
        var machine = PickleMachine(bytes: Array(pickle))
        let (root, _) = try machine.run()
        return try StateDictAssembler.assemble(root) { storage throws(ImportError) in
            let entry = prefix + "data/" + storage.key
            let needed = storage.count.multipliedReportingOverflow(by: storage.dtype.size)
            guard !needed.overflow else {
                throw ImportError(.storageTooShort, "storage \(storage.key) has an absurd size")
            }
            let bytes = try archive.read(entry)
            guard bytes.count >= needed.partialValue else {
                throw ImportError(.storageTooShort,
                                  "storage \(storage.key) holds \(bytes.count) bytes but the"
                                  + " pickle says \(storage.count) \(storage.dtype.rawValue)"
                                  + " elements (\(needed.partialValue) bytes); the file is"
                                  + " truncated or corrupt",
                                  context: ["storage.key": storage.key])
            }
            return bytes
        }
    }
}
