import FaceletImport
import FaceletPackage
import Foundation
import Testing

/// A Python with PyTorch, if this machine has one: `FACELET_TORCH_PYTHON`, else the venv that
/// scripts/make-import-fixtures.py suggests.
enum TorchPython {
    static let path: String? = {
        let candidates = [ProcessInfo.processInfo.environment["FACELET_TORCH_PYTHON"],
                          "/tmp/torchenv/bin/python"].compactMap { $0 }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) && works($0) }
    }()

    private static func works(_ python: String) -> Bool {
        (try? run(python, ["-c", "import torch"]))?.status == 0
    }

    static func run(_ python: String, _ arguments: [String]) throws
        -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}

@Suite struct ExportTests {
    @Test func exportsTheOriginalEncoderUnderItsOwnNames() throws {
        let backbone = try OriginalRelease.backbone()
        let url = try Fixture.temporaryDirectory().appendingPathComponent("vgg19g.pth")
        try Exporter.export(backbone, format: .pytorch, naming: .original, part: .encoder,
                            to: url)
        let read = try CheckpointReader.read(contentsOf: url).stateDict
        let expected = try Fixture.expected("original_encoder")
        let original = try CheckpointReader.read(
            contentsOf: Fixture.url("original_encoder.pth")).stateDict
        #expect(read.keys == original.keys)
        for tensor in expected.tensors {
            #expect(read[tensor.key]?.bytes == tensor.bytes, "\(tensor.key)")
        }
    }

    @Test func exportsTheOriginalDecoderWithoutUnusedModules() throws {
        let backbone = try OriginalRelease.backbone()
        let url = try Fixture.temporaryDirectory().appendingPathComponent("decoder.safetensors")
        try Exporter.export(backbone, format: .safetensors, naming: .original, part: .decoder,
                            to: url)
        let read = try CheckpointReader.read(contentsOf: url).stateDict
        let expected = try Fixture.expected("original_decoder")
        let used = expected.keys.filter {
            !$0.hasPrefix("upool") && !$0.hasSuffix("num_batches_tracked")
        }
        #expect(Set(read.keys) == Set(used))
        for key in used {
            #expect(read[key]?.bytes == expected[key]?.bytes, "\(key)")
        }
    }

    @Test func exportsABankUnderTheOriginalNamesInModuleOrder() throws {
        let bank = try OriginalRelease.bank(on: try OriginalRelease.backbone())
        let entries = try Exporter.stateDict(of: bank, naming: .original)
        let expected = try Fixture.expected("original_facehair")
        let original = try CheckpointReader.read(
            contentsOf: Fixture.url("original_facehair.pth")).stateDict
        #expect(entries.map(\.key) == original.keys)
        for (key, tensor) in entries {
            #expect(tensor.bytes == expected[key]?.bytes, "\(key)")
        }
    }

    @Test func refusesNamesThatCannotExpressATensor() throws {
        let backbone = try OriginalRelease.backbone()
        let error = try #require(throws: ImportError.self) {
            try Exporter.stateDict(of: backbone, naming: .torchvision)
        }
        #expect(error.code == .unknownLayout)
        #expect(error.message.contains("decoder.out.bias"))
        let encoder = try Exporter.stateDict(of: backbone, naming: .torchvision, part: .encoder)
        #expect(encoder.first?.key == "features.0.weight")
        #expect(encoder.last?.key == "features.28.bias")
    }

    @Test func faceletNamesRoundTripThroughBothFormats() throws {
        let bank = try OriginalRelease.bank(on: try OriginalRelease.backbone())
        let directory = try Fixture.temporaryDirectory()
        for format in ExportFormat.allCases {
            let url = directory.appendingPathComponent("bank.\(format.rawValue)")
            try Exporter.export(bank, format: format, to: url)
            let weights = try Importer.weights(contentsOf: url)
            #expect(weights.layout == .facelet)
            #expect(weights.role == .bank)
            #expect(weights.tensors == bank.tensors)
        }
    }

    /// `torch.load(weights_only=True)` reads our `.pth` as an OrderedDict with the same
    /// values; runs only where PyTorch is installed (see TorchPython).
    @Test(.enabled(if: TorchPython.path != nil))
    func torchLoadsTheExportWithWeightsOnly() throws {
        let python = try #require(TorchPython.path)
        let bank = try OriginalRelease.bank(on: try OriginalRelease.backbone())
        let url = try Fixture.temporaryDirectory().appendingPathComponent("facehair.pth")
        try Exporter.export(bank, format: .pytorch, naming: .original, to: url)
        let script = """
            import sys, collections, torch
            from safetensors.torch import load_file
            sd = torch.load(sys.argv[1], weights_only=True)
            ref = load_file(sys.argv[2])
            assert isinstance(sd, collections.OrderedDict), type(sd)
            assert list(sd) == list(ref) or sorted(sd) == sorted(ref), (list(sd), list(ref))
            for k, v in ref.items():
                assert sd[k].dtype == torch.float32 and sd[k].shape == v.shape, k
                assert torch.equal(sd[k], v), k
            print("ok", len(sd))
            """
        let result = try TorchPython.run(python, [
            "-c", script, url.path,
            Fixture.url("original_facehair.expected.safetensors").path,
        ])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.hasPrefix("ok 18"))
    }
}
