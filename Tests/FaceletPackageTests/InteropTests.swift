import Foundation
import Testing
@testable import FaceletPackage

/// Python's `safetensors` package as an independent reader and writer of the format.
enum PythonSafetensors {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Python/facelet_interop.py")

    /// Whether `python3` can import numpy and safetensors.
    static let available: Bool = (try? run(["-c", "import numpy, safetensors"])) != nil

    /// Runs python3 with `arguments`; returns stdout, throws on a non-zero exit.
    static func run(_ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PythonFailure(message: String(decoding: errors, as: UTF8.self))
        }
        return data
    }

    /// Runs the interop script and decodes its JSON output.
    static func script(_ command: String, _ url: URL) throws -> [String: Any] {
        let data = try run([script.path, command, url.path])
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    struct PythonFailure: Error {
        let message: String
    }
}

@Suite(.enabled(if: PythonSafetensors.available,
                "python3 cannot import numpy and safetensors (pip install numpy safetensors)"))
struct InteropTests {
    private func temporaryFile(_ suffix: String) -> URL {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("facelet-interop-\(UUID().uuidString).\(suffix)")
    }

    @Test func readsAPackageWrittenByPythonSafetensors() throws {
        let url = temporaryFile("fbk")
        defer { try? FileManager.default.removeItem(at: url) }
        let written = try PythonSafetensors.script("write", url)
        let package = try PackageReader.read(contentsOf: url)

        #expect(package.manifest.kind == .bank)
        #expect(package.manifest.name == "beard")
        #expect(package.manifest.levels == ["relu3_1", "relu4_1"])
        #expect(package.manifest.strength == StrengthRange(default: 1, min: -1, max: 2.5))
        #expect(package.manifest.description
                == "Adds a full beard / \"Vollbart\" \u{e9}\u{2028}\u{1f}\t\n.")
        #expect(package.manifest.backbone == Fixtures.backboneDigest)
        #expect(package["relu3_1.1.weight"]?.dtype == .f16)
        #expect(package["relu4_1.2.bias"]?.dtype == .f64)
        // The same formula as the script, computed here; the values are exact in every dtype.
        for expected in Fixtures.bankTensors() {
            let got = try #require(package[expected.name])
            #expect(got.shape == expected.shape)
            #expect(got.floats() == expected.floats(), "\(expected.name)")
        }
        // The content digest computed independently in Python equals ours.
        #expect(package.contentDigest.description == written["content_digest"] as? String)
    }

    @Test func reencodingAPythonPackageKeepsItsContentDigest() throws {
        let url = temporaryFile("fbk")
        defer { try? FileManager.default.removeItem(at: url) }
        _ = try PythonSafetensors.script("write", url)
        let original = try Data(contentsOf: url)
        let package = try PackageReader.read(original)

        let (data, reencoded) = try PackageWriter.encode(package.manifest,
                                                          tensors: package.tensors)
        #expect(data != original)
        #expect(reencoded.contentDigest == package.contentDigest)
        #expect(try PackageReader.read(data).contentDigest == package.contentDigest)

        // Changing one byte of one tensor changes the content digest.
        let target = try #require(package["relu4_1.0.weight"])
        var bytes = target.bytes
        bytes[5] ^= 0x01
        let changed = PackageTensor(name: target.name, dtype: target.dtype, shape: target.shape,
                                    bytes: bytes)
        let tensors = package.tensors.map { $0.name == changed.name ? changed : $0 }
        let other = try PackageWriter.encode(package.manifest, tensors: tensors).package
        #expect(other.contentDigest != package.contentDigest)
    }

    @Test func pythonSafetensorsLoadsOurWritersFileUnchanged() throws {
        let url = temporaryFile("fbb")
        defer { try? FileManager.default.removeItem(at: url) }
        var manifest = Fixtures.bankManifest()
        manifest.description = "Our writer / \"quoted\" \u{e9}\u{2028}\n"
        manifest.strength = StrengthRange(default: 0.5, min: -1e-5, max: 2.25)
        let package = try PackageWriter.write(manifest, tensors: Fixtures.bankTensors(), to: url)

        let dump = try PythonSafetensors.script("dump", url)
        #expect(dump["metadata_keys"] as? [String] == ["facelet.format", "facelet.manifest"])
        #expect(dump["format"] as? String == "1")
        let theirs = try JSONSerialization.data(withJSONObject: dump["manifest"] ?? [:])
        #expect(try Manifest.decode(theirs) == package.manifest)
        #expect(dump["content_digest"] as? String == package.contentDigest.description)
        let tensors = try #require(dump["tensors"] as? [String: [String: Any]])
        #expect(Set(tensors.keys) == Set(package.tensors.map(\.name)))
        for tensor in package.tensors {
            let entry = try #require(tensors[tensor.name])
            #expect(entry["dtype"] as? String == "float32")
            #expect(entry["shape"] as? [Int] == tensor.shape)
            let values = (entry["values"] as? [Double] ?? []).map(Float.init)
            #expect(values == tensor.floats(), "\(tensor.name)")
        }
    }

    @Test func pythonSafetensorsLoadsOurBackbone() throws {
        let url = temporaryFile("fbb")
        defer { try? FileManager.default.removeItem(at: url) }
        let package = try PackageWriter.write(Fixtures.backboneManifest(),
                                              tensors: Fixtures.backboneTensors(), to: url)
        let dump = try PythonSafetensors.script("dump", url)
        #expect(dump["content_digest"] as? String == package.contentDigest.description)
        let tensors = try #require(dump["tensors"] as? [String: [String: Any]])
        #expect(tensors.count == package.tensors.count)
    }
}
