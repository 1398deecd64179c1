import FaceletPackage
import Foundation
import Testing
@testable import FaceletImport

/// Builds small hostile or broken checkpoints in memory.
enum Hostile {
    /// A torch-style zip holding `pickle` as `archive/data.pkl` plus `storages`.
    static func zip(pickle: [UInt8], storages: [String: Data] = [:],
                    includePickle: Bool = true) throws -> Data {
        let url = try Fixture.temporaryDirectory().appendingPathComponent("hostile.pth")
        let writer = try ZipWriter(url: url)
        if includePickle { try writer.add("archive/data.pkl", Data(pickle)) }
        for (key, data) in storages.sorted(by: { $0.key < $1.key }) {
            try writer.add("archive/data/\(key)", data)
        }
        try writer.add("archive/version", Data("3\n".utf8))
        try writer.close()
        return try Data(contentsOf: url)
    }

    static func read(_ data: Data) throws -> StateDict {
        try CheckpointReader.read(data, fileName: "hostile.pth").stateDict
    }

    /// A one-tensor state dict `{"w": float32 tensor of shape [count] on storage "0"}` whose
    /// persistent id claims `numel` elements, at storage offset `offset`.
    static func oneTensorPickle(count: Int, numel: Int, offset: Int = 0) -> [UInt8] {
        var p: [UInt8] = [0x80, 0x02]
        p += Array("ccollections\nOrderedDict\n".utf8) + [0x29, 0x52]
        p += [0x28] + short("w")
        p += Array("ctorch._utils\n_rebuild_tensor_v2\n".utf8) + [0x28]
        p += [0x28] + short("storage") + Array("ctorch\nFloatStorage\n".utf8)
        p += short("0") + short("cpu") + [0x4b, UInt8(numel), 0x74, 0x51]
        p += [0x4b, UInt8(offset), 0x4b, UInt8(count), 0x85, 0x4b, 1, 0x85, 0x89]
        p += Array("ccollections\nOrderedDict\n".utf8) + [0x29, 0x52, 0x74, 0x52]
        p += [0x75, 0x2e]
        return p
    }

    /// SHORT_BINUNICODE.
    static func short(_ text: String) -> [UInt8] {
        [0x8c, UInt8(text.utf8.count)] + Array(text.utf8)
    }

    static func floats(_ count: Int) -> Data {
        var data = Data()
        for index in 0..<count {
            withUnsafeBytes(of: Float(index).bitPattern.littleEndian) {
                data.append(contentsOf: $0)
            }
        }
        return data
    }
}

@Suite struct PickleRefusalTests {
    @Test func theHandBuiltPickleIsAcceptedWhenHonest() throws {
        let data = try Hostile.zip(pickle: Hostile.oneTensorPickle(count: 4, numel: 6, offset: 2),
                                   storages: ["0": Hostile.floats(6)])
        let tensor = try #require(try Hostile.read(data)["w"])
        #expect(tensor.shape == [4])
        #expect(tensor.bytes == Hostile.floats(6).subdata(in: 8..<24))
    }

    /// `posix.system("touch …")` as a protocol-2 GLOBAL + REDUCE: refused at the GLOBAL,
    /// and nothing ran.
    @Test func refusesOsSystemAndRunsNothing() throws {
        let marker = try Fixture.temporaryDirectory().appendingPathComponent("pwned")
        var pickle: [UInt8] = [0x80, 0x02] + Array("cposix\nsystem\n".utf8)
        pickle += Hostile.short("touch \(marker.path)") + [0x85, 0x52, 0x2e]
        let data = try Hostile.zip(pickle: pickle)
        let error = try #require(throws: ImportError.self) { try Hostile.read(data) }
        #expect(error.code == .forbiddenGlobal)
        #expect(error.context["pickle.global"] == "posix.system")
        #expect(error.message.contains("posix.system"))
        #expect(!FileManager.default.fileExists(atPath: marker.path))
    }

    @Test(arguments: [("builtins", "eval"), ("os", "system"), ("subprocess", "Popen"),
                      ("torch.storage", "_load_from_bytes"), ("torch", "load"),
                      ("collections", "defaultdict"), ("numpy.core.multiarray", "_reconstruct")])
    func refusesEveryOtherGlobalByName(module: String, name: String) throws {
        // Protocol 4 spelling: STACK_GLOBAL on two short strings.
        let pickle: [UInt8] = [0x80, 0x04] + Hostile.short(module) + Hostile.short(name)
            + [0x93, 0x29, 0x52, 0x2e]
        let error = try #require(throws: ImportError.self) {
            try Hostile.read(try Hostile.zip(pickle: pickle))
        }
        #expect(error.code == .forbiddenGlobal)
        #expect(error.context["pickle.global"] == "\(module).\(name)")
    }

    @Test(arguments: [(UInt8(0x81), "NEWOBJ"), (0x69, "INST"), (0x6f, "OBJ"), (0x92, "NEWOBJ_EX"),
                      (0x50, "PERSID"), (0x82, "EXT1"), (0x53, "STRING")])
    func refusesOpcodesOutsideTheRestrictedSet(opcode: UInt8, name: String) throws {
        let pickle: [UInt8] = [0x80, 0x02, 0x29, 0x29, opcode, 0x2e]
        let error = try #require(throws: ImportError.self) {
            try Hostile.read(try Hostile.zip(pickle: pickle))
        }
        #expect(error.code == .forbiddenOpcode)
        #expect(error.context["pickle.opcode"]?.hasPrefix(name) == true)
    }

    @Test func refusesCallingAStorageClass() throws {
        let pickle: [UInt8] = [0x80, 0x02] + Array("ctorch\nFloatStorage\n".utf8)
            + [0x29, 0x52, 0x2e]
        let error = try #require(throws: ImportError.self) {
            try Hostile.read(try Hostile.zip(pickle: pickle))
        }
        #expect(error.code == .forbiddenOpcode)
        #expect(error.context["pickle.global"] == "torch.FloatStorage")
    }

    @Test func refusesAPickleThatIsNotAStateDict() throws {
        // A list of ints.
        let pickle: [UInt8] = [0x80, 0x02, 0x5d, 0x28, 0x4b, 1, 0x4b, 2, 0x65, 0x2e]
        let error = try #require(throws: ImportError.self) {
            try Hostile.read(try Hostile.zip(pickle: pickle))
        }
        #expect(error.code == .notStateDict)
    }

    @Test func refusesSelfReferencingContainers() throws {
        // l = []; l.append(l) -- EMPTY_LIST, BINPUT 0, BINGET 0, APPEND, STOP
        let pickle: [UInt8] = [0x80, 0x02, 0x5d, 0x71, 0, 0x68, 0, 0x61, 0x2e]
        let error = try #require(throws: ImportError.self) {
            try Hostile.read(try Hostile.zip(pickle: pickle))
        }
        #expect(error.code == .badPickle)
    }

    @Test func refusesEveryTruncationOfAPickle() throws {
        let pickle = Hostile.oneTensorPickle(count: 4, numel: 4)
        for length in 0..<pickle.count {
            let data = try Hostile.zip(pickle: Array(pickle.prefix(length)),
                                       storages: ["0": Hostile.floats(4)])
            #expect(throws: ImportError.self) { try Hostile.read(data) }
        }
    }
}

@Suite struct ArchiveRefusalTests {
    @Test func refusesAZipWithoutItsPickle() throws {
        let data = try Hostile.zip(pickle: [], storages: ["0": Hostile.floats(4)],
                                   includePickle: false)
        let error = try #require(throws: ImportError.self) { try Hostile.read(data) }
        #expect(error.code == .badArchive)
        #expect(error.message.contains("data.pkl"))
    }

    @Test func refusesAZipWhoseStorageEntryIsMissing() throws {
        let data = try Hostile.zip(pickle: Hostile.oneTensorPickle(count: 4, numel: 4))
        let error = try #require(throws: ImportError.self) { try Hostile.read(data) }
        #expect(error.code == .badArchive)
        #expect(error.context["zip.entry"] == "archive/data/0")
    }

    @Test func refusesAStorageShorterThanThePickleSays() throws {
        let data = try Hostile.zip(pickle: Hostile.oneTensorPickle(count: 4, numel: 8),
                                   storages: ["0": Hostile.floats(5)])
        let error = try #require(throws: ImportError.self) { try Hostile.read(data) }
        #expect(error.code == .storageTooShort)
        #expect(error.context["storage.key"] == "0")
    }

    @Test func refusesATensorReachingPastItsStorage() throws {
        // 4 elements from offset 3 of a 6-element storage.
        let data = try Hostile.zip(pickle: Hostile.oneTensorPickle(count: 4, numel: 6, offset: 3),
                                   storages: ["0": Hostile.floats(6)])
        let error = try #require(throws: ImportError.self) { try Hostile.read(data) }
        #expect(error.code == .storageTooShort)
        #expect(error.context["tensor.key"] == "w")
    }

    /// Every cut of a zip checkpoint is a damaged archive (its end record or an entry is
    /// missing), except the empty file, which is no known format at all.
    @Test func refusesEveryTruncationOfARealCheckpoint() throws {
        let data = try Data(contentsOf: Fixture.url("original_encoder.pth"))
        let step = max(1, data.count / 97)
        for length in stride(from: 0, to: data.count, by: step) {
            let error = try #require(throws: ImportError.self) {
                try CheckpointReader.read(data.prefix(length), fileName: "cut.pth")
            }
            #expect(error.code == (length == 0 ? .unknownFormat : .badArchive), "\(length) B")
        }
    }

    /// Through the importer, a cut file is refused with its path in the context.
    @Test func namesTheFileOfATruncatedCheckpoint() throws {
        let data = try Data(contentsOf: Fixture.url("original_decoder.pth"))
        let url = try Fixture.temporaryDirectory().appendingPathComponent("cut.pth")
        try data.prefix(data.count / 2).write(to: url)
        let error = try #require(throws: ImportError.self) {
            try Importer.weights(contentsOf: url)
        }
        #expect(error.code == .badArchive)
        #expect(error.context["file.path"] == url.path)
    }

    @Test func refusesACorruptedStorageByItsChecksum() throws {
        var data = try Data(contentsOf: Fixture.url("original_encoder.pth"))
        // Flip one byte inside the stored (uncompressed) bytes of one storage.
        let storage = try #require(try Fixture.expected("original_encoder")[
            "features_3.conv5_1.weight"]).bytes
        let range = try #require(data.range(of: storage))
        data[range.lowerBound + 100] ^= 0xff
        let error = try #require(throws: ImportError.self) {
            try CheckpointReader.read(data, fileName: "flipped.pth")
        }
        #expect(error.code == .badArchive)
    }

    /// A legacy checkpoint cut inside its pickles is a bad pickle; cut inside the raw storages
    /// that follow them, a storage too short (naming the storage).
    @Test func refusesEveryTruncationOfALegacyCheckpoint() throws {
        let data = try Data(contentsOf: Fixture.url("original_facehair.pth"))
        let step = max(1, data.count / 97)
        var shortStorages = 0
        for length in stride(from: 0, to: data.count, by: step) {
            let error = try #require(throws: ImportError.self) {
                try CheckpointReader.read(data.prefix(length), fileName: "cut.pth")
            }
            switch error.code {
            case .unknownFormat:
                #expect(length < 4, "\(length) B")
            case .storageTooShort:
                shortStorages += 1
                #expect(error.context["storage.key"] != nil, "\(length) B: \(error)")
            default:
                #expect(error.code == .badPickle, "\(length) B: \(error)")
            }
        }
        #expect(shortStorages > 80)
    }

    /// Every cut of a safetensors file is refused as a bad safetensors file once the eight
    /// length bytes and the header's `{` are there (before that it is no known format).
    @Test func refusesEveryTruncationOfASafetensorsFile() throws {
        let data = try Data(contentsOf: Fixture.url("timm_vgg19.safetensors"))
        let step = max(1, data.count / 97)
        for length in stride(from: 0, to: data.count, by: step) {
            let error = try #require(throws: ImportError.self) {
                try CheckpointReader.read(data.prefix(length), fileName: "cut.safetensors")
            }
            #expect(error.code == (length < 9 ? .unknownFormat : .badSafetensors),
                    "\(length) B")
        }
    }

    /// A safetensors header whose offsets reach past the data is refused, naming the tensor.
    @Test func refusesSafetensorsOffsetsPastTheData() throws {
        let header = #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        let error = try #require(throws: ImportError.self) {
            try CheckpointReader.read(data + Hostile.floats(3), fileName: "short.safetensors")
        }
        #expect(error.code == .badSafetensors)
        #expect(error.context["tensor.key"] == "w")
        // The same header with all 16 data bytes reads.
        let whole = try CheckpointReader.read(data + Hostile.floats(4), fileName: "w.safetensors")
        #expect(whole.stateDict["w"]?.bytes == Hostile.floats(4))
    }

    @Test func refusesAFileOfUnknownFormat() throws {
        let error = try #require(throws: ImportError.self) {
            try CheckpointReader.read(Data("hello, world".utf8), fileName: "x.bin")
        }
        #expect(error.code == .unknownFormat)
    }
}

@Suite struct KeyAndShapeRefusalTests {
    /// tv_vgg19's tensors re-saved (with our own writer) after `edit`.
    private func torchvision(_ edit: (inout [(key: String, tensor: PackageTensor)]) -> Void)
        throws -> URL {
        let stateDict = try CheckpointReader.read(contentsOf: Fixture.url("tv_vgg19.pth")).stateDict
        var entries: [(key: String, tensor: PackageTensor)] = try stateDict.tensors.map {
            (key: $0.key, tensor: try $0.packageTensor(named: $0.key))
        }
        edit(&entries)
        let url = try Fixture.temporaryDirectory().appendingPathComponent("edited.pth")
        try Exporter.write(entries, format: .pytorch, to: url)
        return url
    }

    @Test func namesMissingKeys() throws {
        let url = try torchvision { $0.removeAll { $0.key.hasPrefix("features.10.") } }
        let error = try #require(throws: ImportError.self) {
            try Importer.weights(contentsOf: url)
        }
        #expect(error.code == .missingKeys)
        #expect(error.message.contains("features.10.weight, features.10.bias"))
    }

    @Test func namesUnexpectedKeys() throws {
        let url = try torchvision {
            $0.append(("features.3.weight", .float32(name: "x", shape: [2], values: [1, 2])))
            $0.append(("lm_head.bias", .float32(name: "y", shape: [1], values: [0])))
        }
        let error = try #require(throws: ImportError.self) {
            try Importer.weights(contentsOf: url)
        }
        #expect(error.code == .unexpectedKeys)
        #expect(error.message.contains("features.3.weight, lm_head.bias"))
    }

    @Test func refusesAShapeThatDoesNotFit() throws {
        let url = try torchvision { entries in
            let index = entries.firstIndex { $0.key == "features.12.weight" }!
            let shape = entries[index].tensor.shape
            let wrong = [shape[0], shape[1], 1, 1]
            entries[index].tensor = .float32(name: "w", shape: wrong,
                                             values: .init(repeating: 0,
                                                           count: wrong.reduce(1, *)))
        }
        let error = try #require(throws: ImportError.self) {
            try Importer.weights(contentsOf: url)
        }
        #expect(error.code == .shapeMismatch)
        #expect(error.context["tensor.key"] == "features.12.weight")
    }

    @Test func refusesAnEncoderAloneAsABackbone() throws {
        let encoder = try Importer.weights(contentsOf: Fixture.url("tv_vgg19.pth"))
        let error = try #require(throws: ImportError.self) {
            try Importer.backbone([encoder], name: "tv", version: "1")
        }
        #expect(error.code == .missingKeys)
        #expect(error.message.contains("decoder.conv1_1.bias"))
    }

    @Test func refusesADecoderForAnotherArchitecture() throws {
        let encoder = try Importer.weights(contentsOf: Fixture.url("original_encoder.pth"))
        let decoder = try Importer.weights(contentsOf: Fixture.url("original_decoder.pth"))
        let error = try #require(throws: ImportError.self) {
            try Importer.backbone([encoder, decoder],
                                  architecture: .vgg19(width: Fixture.width),
                                  name: "mixed", version: "1")
        }
        #expect(error.code == .missingKeys)
        #expect(error.message.contains("decoder.conv1_1.bias"))
    }

    @Test func refusesABankWhoseChannelsDoNotFitTheBackbone() throws {
        let encoder = try Importer.weights(contentsOf: Fixture.url("original_encoder.pth"))
        let decoder = try Importer.weights(contentsOf: Fixture.url("original_decoder.pth"))
        _ = (encoder, decoder)
        // A backbone twice as wide as the bank.
        let wide = Architecture.faceletOriginal(width: Fixture.width * 2)
        let tensors = wide.expectedTensors().map { name, shape in
            PackageTensor.float32(name: name, shape: shape,
                                  values: .init(repeating: 0.5, count: shape.reduce(1, *)))
        }
        let backbone = try PackageWriter.encode(
            Manifest(kind: .backbone, name: "wide", version: "1", architecture: wide),
            tensors: tensors).package
        let bank = try Importer.weights(contentsOf: Fixture.url("original_facehair.pth"))
        let error = try #require(throws: ImportError.self) {
            try Importer.bank(bank, backbone: backbone, name: "facehair", version: "1")
        }
        #expect(error.code == .shapeMismatch)
        #expect(error.context["tensor.name"] == "relu3_1.0.weight")
        #expect(error.message.contains("w_1.model.1.weight"))
    }
}

@Suite struct PickleFuzzTests {
    /// Single-byte changes of a real state-dict pickle either read or are refused with an
    /// `ImportError`; none crashes or hangs. (Deterministic: every third position, three
    /// values each, so opcodes, lengths, memo indices and text are all hit.)
    @Test func survivesEverySingleByteMutation() throws {
        let data = try Data(contentsOf: Fixture.url("original_encoder.pth"))
        let archive = try ZipArchive(data)
        let pickle = try Array(archive.read("original_encoder/data.pkl"))
        var refused = 0
        for position in stride(from: 0, to: pickle.count, by: 3) {
            for value: UInt8 in [0x00, 0xff, pickle[position] &+ 1] {
                var mutated = pickle
                mutated[position] = value
                var machine = PickleMachine(bytes: mutated)
                do {
                    _ = try machine.run()
                } catch {
                    refused += 1
                }
            }
        }
        #expect(refused > 0)
    }
}
