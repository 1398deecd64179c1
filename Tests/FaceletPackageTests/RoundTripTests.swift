import Foundation
import Testing
@testable import FaceletPackage

@Suite struct RoundTripTests {
    @Test func bankRoundTripsThroughWriterAndReader() throws {
        let (data, written) = try Fixtures.bank()
        let read = try PackageReader.read(data)
        #expect(read.manifest == written.manifest)
        #expect(read.contentDigest == written.contentDigest)
        #expect(read.tensors.map(\.name) == written.tensors.map(\.name))
        for tensor in Fixtures.bankTensors() {
            let got = try #require(read[tensor.name])
            #expect(got.shape == tensor.shape)
            #expect(got.floats() == tensor.floats())
            #expect(read.manifest.tensors[tensor.name] == tensor.sha256.hex)
        }
        #expect(read["missing"] == nil)
    }

    @Test func backboneRoundTripsAndListsExactlyTheArchitecturesTensors() throws {
        let (data, written) = try Fixtures.backbone()
        let read = try PackageReader.read(data)
        #expect(read.contentDigest == written.contentDigest)
        #expect(read.manifest.architecture == Fixtures.architecture)
        let shapes = Dictionary(uniqueKeysWithValues: read.tensors.map { ($0.name, $0.shape) })
        #expect(shapes == Fixtures.architecture.expectedTensors())
    }

    @Test func readsFromADataSlice() throws {
        let (data, written) = try Fixtures.bank()
        let padded = Data([9, 9, 9]) + data + Data([7])
        let slice = padded[3..<(padded.count - 1)]
        #expect(try PackageReader.read(slice).contentDigest == written.contentDigest)
        #expect(code { _ = try PackageReader.read(padded[3...]) } == .gap)
    }

    @Test func writerIsDeterministicWhateverTheTensorOrder() throws {
        let tensors = Fixtures.bankTensors()
        let a = try PackageWriter.encode(Fixtures.bankManifest(), tensors: tensors).data
        let b = try PackageWriter.encode(Fixtures.bankManifest(), tensors: tensors.reversed()).data
        #expect(a == b)
    }

    @Test func writerLaysOutTheDocumentedBytes() throws {
        let (data, package) = try Fixtures.bank()
        let bytes = [UInt8](data)
        let n = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect(n % 8 == 0)
        let header = try #require(JSONSerialization.jsonObject(with: data[8..<(8 + n)])
                                  as? [String: Any])
        let metadata = try #require(header["__metadata__"] as? [String: String])
        #expect(metadata.keys.sorted() == ["facelet.format", "facelet.manifest"])
        #expect(metadata["facelet.format"] == "1")
        #expect(metadata["facelet.manifest"].map { Data($0.utf8) }
                == package.manifest.canonicalJSON())
        // Tensors back to back in byte order of the names.
        var offset = 0
        for tensor in package.tensors {
            let entry = try #require(header[tensor.name] as? [String: Any])
            #expect(entry["dtype"] as? String == "F32")
            #expect(entry["shape"] as? [Int] == tensor.shape)
            #expect(entry["data_offsets"] as? [Int] == [offset, offset + tensor.bytes.count])
            #expect(data[(8 + n + offset)..<(8 + n + offset + tensor.bytes.count)] == tensor.bytes)
            offset += tensor.bytes.count
        }
        #expect(8 + n + offset == data.count)
        #expect(package.tensors.map(\.name) == package.tensors.map(\.name).sorted())
    }

    @Test func writerFillsAndOverridesTheTensorList() throws {
        var manifest = Fixtures.bankManifest()
        manifest.tensors = ["stale": String(repeating: "0", count: 64)]
        let package = try PackageWriter.encode(manifest, tensors: Fixtures.bankTensors()).package
        #expect(package.manifest.tensors.count == 12)
        #expect(package.manifest.tensors["stale"] == nil)
    }

    @Test func writerRefusesWhatTheReaderWould() {
        var tensors = Fixtures.bankTensors()
        tensors.append(tensors[0])
        #expect(code { _ = try PackageWriter.encode(Fixtures.bankManifest(), tensors: tensors) }
                == .duplicateName)
        let nan = PackageTensor.float32(name: "relu3_1.0.bias", shape: [4],
                                        values: [0, .nan, 0, 0])
        let withNaN = Fixtures.bankTensors().map { $0.name == nan.name ? nan : $0 }
        #expect(code { _ = try PackageWriter.encode(Fixtures.bankManifest(), tensors: withNaN) }
                == .nonFinite)
        let missing = Array(Fixtures.bankTensors().dropLast())
        #expect(code { _ = try PackageWriter.encode(Fixtures.bankManifest(), tensors: missing) }
                == .missingTensor)
    }

    @Test func writesAndReadsFiles() throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("facelet-\(UUID().uuidString).fbk")
        defer { try? FileManager.default.removeItem(at: url) }
        let written = try PackageWriter.write(Fixtures.bankManifest(),
                                              tensors: Fixtures.bankTensors(), to: url)
        #expect(try PackageReader.read(contentsOf: url).contentDigest == written.contentDigest)
        let absent = url.appendingPathExtension("absent")
        do {
            _ = try PackageReader.read(contentsOf: absent)
            Issue.record("reading a missing file did not throw")
        } catch {
            #expect(error.code == .unreadable)
            #expect(error.context["file.path"] == absent.path)
        }
        let folder = FileManager.default.temporaryDirectory
        do {
            _ = try PackageReader.read(contentsOf: folder)
            Issue.record("reading a folder did not throw")
        } catch {
            #expect(error.code == .unreadable)
            #expect(error.message == "this is a folder, not a package file")
        }
    }

    @Test func floatsConvertsEveryDtype() {
        // 1.5, -2, 65504 (largest half), 2^-24 (smallest subnormal half), -0.
        let half: [UInt16] = [0x3e00, 0xc000, 0x7bff, 0x0001, 0x8000]
        let f16 = PackageTensor(name: "h", dtype: .f16, shape: [5], bytes: le(half))
        #expect(f16.floats() == [1.5, -2, 65504, 0x1p-24, -0.0])
        let bf16 = PackageTensor(name: "b", dtype: .bf16, shape: [2],
                                 bytes: le([UInt16(0x3fc0), UInt16(0xc2f7)]))
        #expect(bf16.floats() == [1.5, -123.5])
        let doubles: [Double] = [0.1, -3, 1e300]
        let f64 = PackageTensor(name: "d", dtype: .f64, shape: [3],
                                bytes: le(doubles.map(\.bitPattern)))
        #expect(f64.floats() == [Float(0.1), -3, .infinity])
    }

    private func le<T: FixedWidthInteger>(_ values: [T]) -> Data {
        var data = Data()
        for value in values {
            withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
        }
        return data
    }
}
