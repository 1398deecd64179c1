import FaceletImport
import FaceletPackage
import Foundation

/// The committed fixtures written by scripts/make-import-fixtures.py.
enum Fixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func url(_ name: String) -> URL {
        directory.appendingPathComponent(name)
    }

    /// The tensors PyTorch saved, contiguous, under the checkpoint's own keys.
    static func expected(_ stem: String) throws -> StateDict {
        try CheckpointReader.read(contentsOf: url(stem + ".expected.safetensors")).stateDict
    }

    /// The channel width of every fixture (scripts/make-import-fixtures.py, WIDTH).
    static let width = 1.0 / 32

    /// A fresh temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("facelet-import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

extension PackageTensor {
    /// The values as float32 bit patterns, for exact comparisons.
    var bitPatterns: [UInt32] { floats().map(\.bitPattern) }
}

extension StateTensor {
    /// The float32 values as bit patterns (the tensor must be F32).
    var bitPatterns: [UInt32] {
        bytes.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map {
                UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))
            }
        }
    }
}
