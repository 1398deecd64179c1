import FaceletImport
import Foundation
import Testing

/// A legacy checkpoint as PyTorch 0.3 under Python 2 wrote it, assembled byte by byte: `str`
/// keys (SHORT_BINSTRING), `OrderedDict([[key, value], …])` with list pairs, the 4-argument
/// `torch._utils._rebuild_tensor`, and 6-item persistent ids with a `None` view.
@Suite struct LegacyPython2Tests {
    private static func binstring(_ text: String) -> [UInt8] {
        [0x55, UInt8(text.utf8.count)] + Array(text.utf8)  // SHORT_BINSTRING
    }

    /// `_rebuild_tensor(storage, offset, size, stride)` of a float storage `key` with `numel`.
    private static func tensor(key: String, numel: Int, offset: Int, size: [Int],
                               stride: [Int]) -> [UInt8] {
        var p = Array("ctorch._utils\n_rebuild_tensor\n".utf8) + [0x28]
        p += [0x28] + binstring("storage") + Array("ctorch\nFloatStorage\n".utf8)
        p += binstring(key) + binstring("cpu") + [0x4b, UInt8(numel), 0x4e, 0x74, 0x51]
        p += [0x4b, UInt8(offset)]
        p += [0x28] + size.flatMap { [0x4b, UInt8($0)] } + [0x74]
        p += [0x28] + stride.flatMap { [0x4b, UInt8($0)] } + [0x74]
        p += [0x74, 0x52]
        return p
    }

    private static func file() -> (data: Data, storage: [Float]) {
        var bytes: [UInt8] = [128, 2, 138, 10, 108, 252, 156, 70, 249, 32, 106, 168, 80, 25, 46]
        bytes += [0x80, 0x02, 0x4d, 0xe9, 0x03, 0x2e]  // 1001
        bytes += [0x80, 0x02, 0x7d, 0x28] + binstring("little_endian") + [0x88, 0x75, 0x2e]
        // OrderedDict([["a", t0], ["b", t1]]): t1 is the transpose of a 2x3 view at offset 1.
        var root: [UInt8] = [0x80, 0x02] + Array("ccollections\nOrderedDict\n".utf8)
        root += [0x5d, 0x28]  // EMPTY_LIST, MARK
        root += [0x5d, 0x28] + binstring("a")
            + tensor(key: "140", numel: 7, offset: 1, size: [2, 3], stride: [3, 1])
            + [0x65]  // APPENDS → ["a", t0]
        root += [0x5d, 0x28] + binstring("b")
            + tensor(key: "140", numel: 7, offset: 1, size: [3, 2], stride: [1, 3])
            + [0x65]
        root += [0x65, 0x85, 0x52, 0x2e]  // APPENDS, TUPLE1, REDUCE, STOP
        bytes += root
        bytes += [0x80, 0x02, 0x5d, 0x28] + binstring("140") + [0x65, 0x2e]  // ["140"]
        let storage: [Float] = [9, 0, 1, 2, 3, 4, 5]
        withUnsafeBytes(of: UInt64(7).littleEndian) { bytes += $0 }
        for value in storage {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
        }
        return (Data(bytes), storage)
    }

    private static func floats(_ tensor: StateTensor) -> [Float] {
        tensor.bitPatterns.map(Float.init(bitPattern:))
    }

    @Test func readsAPython2TorchLegacyCheckpoint() throws {
        let (stateDict, source) = try CheckpointReader.read(Self.file().data, fileName: "old.pth")
        #expect(source.format == .pytorchLegacy)
        #expect(stateDict.keys == ["a", "b"])
        let a = try #require(stateDict["a"])
        let b = try #require(stateDict["b"])
        #expect(a.shape == [2, 3])
        #expect(Self.floats(a) == [0, 1, 2, 3, 4, 5])
        #expect(b.shape == [3, 2])
        #expect(Self.floats(b) == [0, 3, 1, 4, 2, 5])  // the transpose, gathered row-major
    }

    @Test func refusesAStorageCountThatDisagreesWithThePickle() throws {
        var data = Self.file().data
        // The storage header (8 bytes before the last 28) says 7; make it 6.
        data[data.count - 28 - 8] = 6
        let error = try #require(throws: ImportError.self) {
            try CheckpointReader.read(data, fileName: "old.pth")
        }
        #expect(error.code == .storageTooShort)
        #expect(error.context["storage.key"] == "140")
    }
}
