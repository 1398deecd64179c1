import Foundation
import Testing
@testable import FaceletPackage

/// One test per rule of docs/format.md "What the reader enforces", each on bytes built here.
@Suite struct ReaderStrictnessTests {
    private let tensors = Fixtures.bankTensors()

    private func readCode(_ data: Data) -> PackageError.Code? {
        code { _ = try PackageReader.read(data) }
    }

    /// A bank file with `header` as the whole header (given the valid manifest and tensors).
    private func file(entries: String, data: [UInt8], manifest: Manifest? = nil) -> Data {
        var m = manifest ?? Fixtures.bankManifest()
        if manifest == nil {
            m.tensors = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.sha256.hex) })
        }
        return Fixtures.raw(header: "{\"__metadata__\":\(Fixtures.metadata(m)),\(entries)}",
                            data: data)
    }

    @Test func handBuiltValidBankIsAccepted() throws {
        let data = Fixtures.handBuiltBank(tensors)
        #expect(try PackageReader.read(data).contentDigest
                == (try Fixtures.bank().package.contentDigest))
    }

    @Test func refusesFilesShorterThanEightBytes() {
        for length in 0..<8 {
            #expect(readCode(Data(repeating: 0, count: length)) == .truncated)
        }
    }

    @Test func refusesHeaderAboveSixteenMiB() {
        var data = Data()
        withUnsafeBytes(of: UInt64(16 << 20 + 1).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: [UInt8](repeating: 0x20, count: 64))
        #expect(readCode(data) == .headerTooLarge)
        var huge = Data(repeating: 0xff, count: 8)
        huge.append(0x7b)
        #expect(readCode(huge) == .headerTooLarge)
    }

    @Test func refusesHeaderRunningPastTheEnd() {
        var data = Fixtures.handBuiltBank(tensors)
        let n = data[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        data = data.prefix(8 + n - 1)
        #expect(readCode(data) == .truncated)
    }

    @Test func refusesHeaderThatIsNotUTF8() {
        var header = Data("{\"a\":\"".utf8)
        header.append(contentsOf: [0xc3, 0x28])
        header.append(Data("\"}".utf8))
        var data = Data()
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(header)
        #expect(readCode(data) == .badJSON)
    }

    @Test(arguments: ["", "{", "not json", "{\"a\":1,}", "{\"a\":[1 , ]}", "[1,2]",
                      "\"text\"", "42"])
    func refusesHeaderThatIsNotAJSONObject(_ header: String) {
        #expect(readCode(Fixtures.raw(header: header, data: [])) == .badJSON)
    }

    @Test(arguments: [
        "\"t\":{\"shape\":[1],\"data_offsets\":[0,4]}",
        "\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}",
        "\"t\":{\"dtype\":\"F32\",\"shape\":[1]}",
        "\"t\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}",
        "\"t\":{\"dtype\":\"F32\",\"shape\":\"1\",\"data_offsets\":[0,4]}",
        "\"t\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}",
        "\"t\":{\"dtype\":\"F32\",\"shape\":[true],\"data_offsets\":[0,4]}",
        "\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}",
        "\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[\"0\",\"4\"]}",
        "\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,1e30]}",
        "\"t\":[1,2]",
    ])
    func refusesEntryLackingOrMistypingAField(_ entry: String) {
        let data = file(entries: entry, data: [0, 0, 0, 0])
        #expect(readCode(data) == .badHeader)
    }

    @Test func refusesMetadataThatIsNotStringToString() {
        let data = Fixtures.raw(header: "{\"__metadata__\":{\"facelet.format\":1}}", data: [])
        #expect(readCode(data) == .badHeader)
    }

    @Test func refusesEmptyAndOverlongTensorNames() {
        let empty = file(entries: "\"\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}",
                         data: [0, 0, 0, 0])
        #expect(readCode(empty) == .badTensorName)
        let long = String(repeating: "w", count: 257)
        let overlong = file(entries: "\"\(long)\":{\"dtype\":\"F32\",\"shape\":[1],"
                            + "\"data_offsets\":[0,4]}", data: [0, 0, 0, 0])
        #expect(readCode(overlong) == .badTensorName)
    }

    @Test func refusesATensorNameThatAppearsTwice() {
        let (entries, data) = Fixtures.entries(tensors)
        let first = tensors[0]
        // The duplicate names the same range as the original, spelled with a \u escape once.
        let escaped = "\\u00" + String(first.name.utf8.first!, radix: 16) + first.name.dropFirst()
        for spelling in [first.name, escaped] {
            let dup = "\"\(spelling)\":{\"dtype\":\"F32\",\"shape\":\(first.shape),"
                + "\"data_offsets\":[0,\(first.bytes.count)]}"
            #expect(readCode(file(entries: entries + "," + dup, data: data)) == .duplicateName)
        }
    }

    @Test(arguments: ["I32", "F8_E4M3", "f32", "U8", ""])
    func refusesUnsupportedDtypes(_ dtype: String) {
        let data = file(entries: "\"t\":{\"dtype\":\"\(dtype)\",\"shape\":[1],"
                        + "\"data_offsets\":[0,4]}", data: [0, 0, 0, 0])
        #expect(readCode(data) == .badDtype)
    }

    @Test(arguments: ["[-1]", "[2,-3]", "[4294967296,4294967296]", "[9223372036854775807,2]",
                      "[2305843009213693952]"])
    func refusesNegativeOrOverflowingShapes(_ shape: String) {
        let data = file(entries: "\"t\":{\"dtype\":\"F32\",\"shape\":\(shape),"
                        + "\"data_offsets\":[0,4]}", data: [0, 0, 0, 0])
        #expect(readCode(data) == .badShape)
    }

    @Test(arguments: [("[1]", "[0,8]"), ("[2]", "[0,4]"), ("[1]", "[8,4]"), ("[1]", "[4,12]"),
                      ("[1]", "[-4,0]"), ("[3]", "[0,12]")])
    func refusesOffsetsThatDoNotFitShapeOrData(_ shape: String, _ offsets: String) {
        let data = file(entries: "\"t\":{\"dtype\":\"F32\",\"shape\":\(shape),"
                        + "\"data_offsets\":\(offsets)}", data: [0, 0, 0, 0, 0, 0, 0, 0])
        #expect(readCode(data) == .offsets)
    }

    @Test func refusesOverlappingRanges() {
        let entries = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}"
        #expect(readCode(file(entries: entries, data: [UInt8](repeating: 0, count: 12)))
                == .overlap)
    }

    @Test func refusesGapsAndTrailingBytes() {
        let gap = "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}"
        #expect(readCode(file(entries: gap, data: [UInt8](repeating: 0, count: 12))) == .gap)
        let leading = "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}"
        #expect(readCode(file(entries: leading, data: [UInt8](repeating: 0, count: 8))) == .gap)
        let (entries, data) = Fixtures.entries(tensors)
        #expect(readCode(file(entries: entries, data: data + [0])) == .gap)
    }

    @Test(arguments: [Float.nan, .infinity, -.infinity, .signalingNaN])
    func refusesNonFiniteValues(_ value: Float) {
        let bad = PackageTensor.float32(name: "relu3_1.0.bias", shape: [4],
                                        values: [0, 1, value, 2])
        let withBad = tensors.map { $0.name == bad.name ? bad : $0 }
        #expect(readCode(Fixtures.handBuiltBank(withBad)) == .nonFinite)
    }

    @Test func refusesNonFiniteHalfAndDoubleValues() {
        let half = PackageTensor(name: "relu3_1.0.bias", dtype: .f16, shape: [4],
                                 bytes: Data([0, 0, 0, 0, 0x00, 0x7c, 0, 0]))
        #expect(readCode(Fixtures.handBuiltBank(tensors.map { $0.name == half.name ? half : $0 }))
                == .nonFinite)
        var nan = Data(count: 32)
        nan.replaceSubrange(8..<16, with: [0, 0, 0, 0, 0, 0, 0xf8, 0x7f])
        let double = PackageTensor(name: "relu3_1.0.bias", dtype: .f64, shape: [4], bytes: nan)
        #expect(readCode(Fixtures.handBuiltBank(tensors.map { $0.name == half.name ? double : $0 }))
                == .nonFinite)
    }

    @Test func refusesMissingOrForeignFaceletMetadata() {
        let (entries, data) = Fixtures.entries(tensors)
        #expect(readCode(Fixtures.raw(header: "{\(entries)}", data: data)) == .badMetadata)
        let noManifest = "{\"__metadata__\":{\"facelet.format\":\"1\"},\(entries)}"
        #expect(readCode(Fixtures.raw(header: noManifest, data: data)) == .badMetadata)
        var m = Fixtures.bankManifest()
        m.tensors = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.sha256.hex) })
        let v2 = "{\"__metadata__\":\(Fixtures.metadata(m, format: "2")),\(entries)}"
        #expect(readCode(Fixtures.raw(header: v2, data: data)) == .badMetadata)
        let noFormat = "{\"__metadata__\":{\"facelet.manifest\":"
            + "\(Fixtures.jsonString(String(decoding: m.canonicalJSON(), as: UTF8.self)))},"
            + "\(entries)}"
        #expect(readCode(Fixtures.raw(header: noFormat, data: data)) == .badMetadata)
    }

    @Test(arguments: ["not json", "[]", "{\"kind\":\"bank\"}", "{\"kind\":\"filter\"}"])
    func refusesManifestThatIsNotValidJSONOfTheDocumentedShape(_ text: String) {
        let (entries, data) = Fixtures.entries(tensors)
        let header = "{\"__metadata__\":{\"facelet.format\":\"1\",\"facelet.manifest\":"
            + "\(Fixtures.jsonString(text))},\(entries)}"
        #expect(readCode(Fixtures.raw(header: header, data: data)) == .badManifest)
    }

    @Test func refusesAnInvalidManifest() {
        var m = Fixtures.bankManifest()
        m.name = "../evil"
        m.tensors = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.sha256.hex) })
        #expect(readCode(Fixtures.handBuiltBank(tensors, manifest: m)) == .badName)
    }

    @Test func refusesTensorsTheManifestDoesNotListOrLacks() {
        var listed = Fixtures.bankManifest()
        listed.tensors = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.sha256.hex) })
        // The file lacks a listed tensor.
        #expect(readCode(Fixtures.handBuiltBank(Array(tensors.dropLast()), manifest: listed))
                == .missingTensor)
        // The file holds an unlisted tensor.
        let extra = PackageTensor.float32(name: "relu3_1.3.bias", shape: [4], values: [1, 2, 3, 4])
        #expect(readCode(Fixtures.handBuiltBank(tensors + [extra], manifest: listed))
                == .unexpectedTensor)
    }

    @Test func refusesATensorWhoseHashDiffersFromTheManifest() {
        var m = Fixtures.bankManifest()
        m.tensors = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.sha256.hex) })
        m.tensors[tensors[3].name] = Digest.sha256(Data("other".utf8)).hex
        do {
            _ = try PackageReader.read(Fixtures.handBuiltBank(tensors, manifest: m))
            Issue.record("a tensor with the wrong hash was accepted")
        } catch {
            #expect(error.code == .digestMismatch)
            #expect(error.context["tensor.name"] == tensors[3].name)
        }
        // Flipping one data byte of a written package is caught the same way.
        var data = (try? Fixtures.bank().data) ?? Data()
        data[data.count - 3] ^= 0x01
        #expect(readCode(data) == .digestMismatch)
    }

    @Test func refusesABankWhoseTensorsBreakTheLayout() {
        // A level's convolutions must share C.
        let narrow = PackageTensor.float32(name: "relu4_1.1.weight", shape: [4, 4, 3, 3],
                                           values: Fixtures.values(count: 144, seed: 1))
        #expect(readCode(Fixtures.handBuiltBank(tensors.map {
            $0.name == narrow.name ? narrow : $0 })) == .shapeMismatch)
        // Kernels are 3x3.
        let fiveByFive = PackageTensor.float32(name: "relu3_1.0.weight", shape: [4, 4, 5, 5],
                                               values: Fixtures.values(count: 400, seed: 1))
        #expect(readCode(Fixtures.handBuiltBank(tensors.map {
            $0.name == fiveByFive.name ? fiveByFive : $0 })) == .shapeMismatch)
        // Tensors outside the levels' convolutions, even when listed.
        let extra = PackageTensor.float32(name: "relu5_1.0.bias", shape: [1], values: [1])
        #expect(readCode(Fixtures.handBuiltBank(tensors + [extra])) == .unexpectedTensor)
        // A level without its tensors.
        let partial = tensors.filter { !$0.name.hasPrefix("relu4_1.2") }
        #expect(readCode(Fixtures.handBuiltBank(partial)) == .missingTensor)
    }

    @Test func refusesABackboneWhoseTensorsDifferFromItsArchitecture() throws {
        let all = Fixtures.backboneTensors()
        func backboneFile(_ tensors: [PackageTensor]) -> Data {
            var m = Fixtures.backboneManifest()
            m.tensors = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.sha256.hex) })
            let (entries, data) = Fixtures.entries(tensors)
            return Fixtures.raw(header: "{\"__metadata__\":\(Fixtures.metadata(m)),\(entries)}",
                                data: data)
        }
        #expect(try PackageReader.read(backboneFile(all)).tensors.count == all.count)
        do {
            _ = try PackageReader.read(backboneFile(all.filter { $0.name != "decoder.out.bias" }))
            Issue.record("a backbone without decoder.out.bias was accepted")
        } catch {
            #expect(error.code == .missingTensor)
            #expect(error.message.contains("decoder.out.bias"))
        }
        let extra = PackageTensor.float32(name: "decoder.extra.bias", shape: [1], values: [0])
        do {
            _ = try PackageReader.read(backboneFile(all + [extra]))
            Issue.record("a backbone with an extra tensor was accepted")
        } catch {
            #expect(error.code == .unexpectedTensor)
            #expect(error.message.contains("decoder.extra.bias"))
        }
        let reshaped = all.map {
            $0.name == "decoder.out.bias"
                ? PackageTensor.float32(name: $0.name, shape: [1, 3], values: [0, 0, 0]) : $0
        }
        #expect(code { _ = try PackageReader.read(backboneFile(reshaped)) } == .shapeMismatch)
    }
}
