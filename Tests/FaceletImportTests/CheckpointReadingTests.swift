import FaceletImport
import Foundation
import Testing

@Suite struct CheckpointReadingTests {
    /// Every checkpoint holds exactly the tensors PyTorch saved: same keys in the same order,
    /// dtype, shape and bytes (strided and offset views gathered).
    @Test(arguments: [
        ("tv_vgg19.pth", "tv_vgg19", SourceFormat.pytorchZip),
        ("original_encoder.pth", "original_encoder", .pytorchZip),
        ("original_decoder.pth", "original_decoder", .pytorchZip),
        ("original_facehair.pth", "original_facehair", .pytorchLegacy),
    ])
    func readsTheTensorsPyTorchSaved(file: String, stem: String, format: SourceFormat) throws {
        let (stateDict, source) = try CheckpointReader.read(contentsOf: Fixture.url(file))
        let expected = try Fixture.expected(stem)
        #expect(source.format == format)
        #expect(source.fileName == file)
        #expect(Set(stateDict.keys) == Set(expected.keys))
        for tensor in expected.tensors {
            let read = try #require(stateDict[tensor.key])
            #expect(read.dtype == tensor.dtype, "\(tensor.key)")
            #expect(read.shape == tensor.shape, "\(tensor.key)")
            #expect(read.bytes == tensor.bytes, "\(tensor.key)")
        }
    }

    @Test func keepsTheFileOrderOfKeys() throws {
        let stateDict = try CheckpointReader.read(contentsOf: Fixture.url("tv_vgg19.pth")).stateDict
        #expect(Array(stateDict.keys.prefix(4))
                == ["features.0.weight", "features.0.bias", "features.2.weight",
                    "features.2.bias"])
        #expect(stateDict.keys.last == "classifier.6.bias")
    }

    @Test func recordsTheSourceDigest() throws {
        let url = Fixture.url("original_encoder.pth")
        let source = try CheckpointReader.read(contentsOf: url).source
        let data = try Data(contentsOf: url)
        #expect(source.byteCount == data.count)
        #expect(source.sha256 == .sha256(data))
    }

    @Test func readsIntegerTensorsSuchAsBatchCounters() throws {
        let stateDict = try CheckpointReader.read(
            contentsOf: Fixture.url("original_decoder.pth")).stateDict
        let counter = try #require(stateDict["recon5.norm.1.num_batches_tracked"])
        #expect(counter.dtype == .int64)
        #expect(counter.shape == [])
        #expect(counter.bytes == Data([0xd2, 0x04, 0, 0, 0, 0, 0, 0]))  // 1234
    }
}
