import Foundation
@testable import FaceletPackage

/// Small deterministic packages and raw safetensors bytes for the tests.
enum Fixtures {
    /// A tiny VGG-19 backbone (channels 1/2/4/8).
    static let architecture = Architecture.vgg19(width: 1.0 / 64)

    /// A fixed digest standing in for a backbone's content digest.
    static let backboneDigest = Digest.sha256(Data("backbone".utf8))

    /// Exactly representable values derived from an index and a seed.
    static func values(count: Int, seed: Int) -> [Float] {
        (0..<count).map { Float(($0 * 7 + seed * 3) % 17 - 8) / 4 }
    }

    static func bankManifest(levels: [String] = ["relu3_1", "relu4_1"]) -> Manifest {
        Manifest(kind: .bank, name: "beard", version: "2", description: "Adds a full beard.",
                 backbone: backboneDigest, levels: levels,
                 strength: StrengthRange(default: 1, min: -1, max: 2),
                 bank: BankDescription(padding: [.reflect, .zero, .reflect]),
                 provenance: ["method": "facelet", "k": "100"])
    }

    /// The six tensors of each level, with `channels[level]` channels.
    static func bankTensors(_ channels: [String: Int] = ["relu3_1": 4, "relu4_1": 8])
        -> [PackageTensor] {
        var tensors: [PackageTensor] = []
        for (seed, (level, c)) in channels.sorted(by: { $0.key < $1.key }).enumerated() {
            for index in 0..<3 {
                tensors.append(.float32(name: "\(level).\(index).weight", shape: [c, c, 3, 3],
                                        values: values(count: c * c * 9, seed: seed + index)))
                tensors.append(.float32(name: "\(level).\(index).bias", shape: [c],
                                        values: values(count: c, seed: seed + index + 5)))
            }
        }
        return tensors
    }

    static func bank() throws -> (data: Data, package: Package) {
        try PackageWriter.encode(bankManifest(), tensors: bankTensors())
    }

    static func backboneManifest(_ architecture: Architecture = architecture) -> Manifest {
        Manifest(kind: .backbone, name: "vgg19-tiny", version: "1",
                 description: "A 1/64-width VGG-19 for tests.",
                 architecture: architecture, provenance: ["method": "random"])
    }

    static func backboneTensors(_ architecture: Architecture = architecture) -> [PackageTensor] {
        architecture.expectedTensors().sorted { $0.key < $1.key }.enumerated().map {
            let (seed, (name, shape)) = $0
            let count = shape.reduce(1, *)
            return .float32(name: name, shape: shape, values: values(count: count, seed: seed))
        }
    }

    static func backbone() throws -> (data: Data, package: Package) {
        try PackageWriter.encode(backboneManifest(), tensors: backboneTensors())
    }

    /// A file from a header JSON text and a data section, with the 8-byte length in front.
    static func raw(header: String, data: [UInt8]) -> Data {
        var out = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(Data(header.utf8))
        out.append(contentsOf: data)
        return out
    }

    /// The JSON string literal of `text` (quotes included).
    static func jsonString(_ text: String) -> String {
        let data = try? JSONSerialization.data(withJSONObject: [text],
                                               options: [.withoutEscapingSlashes])
        let array = String(decoding: data ?? Data(), as: UTF8.self)
        return String(array.dropFirst().dropLast())
    }

    /// The metadata object text for a manifest.
    static func metadata(_ manifest: Manifest, format: String = "1") -> String {
        let text = String(decoding: manifest.canonicalJSON(), as: UTF8.self)
        return "{\"facelet.format\":\(jsonString(format)),\"facelet.manifest\":\(jsonString(text))}"
    }

    /// The header entries text (without braces) of `tensors` laid out back to back.
    static func entries(_ tensors: [PackageTensor]) -> (text: String, data: [UInt8]) {
        var parts: [String] = []
        var data: [UInt8] = []
        for tensor in tensors {
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            parts.append("\(jsonString(tensor.name)):{\"dtype\":\"\(tensor.dtype.rawValue)\","
                         + "\"shape\":[\(shape)],\"data_offsets\":[\(data.count),"
                         + "\(data.count + tensor.bytes.count)]}")
            data.append(contentsOf: tensor.bytes)
        }
        return (parts.joined(separator: ","), data)
    }

    /// A hand-built bank file whose manifest lists `tensors` (with their real hashes unless
    /// `manifest` is given).
    static func handBuiltBank(_ tensors: [PackageTensor], manifest: Manifest? = nil) -> Data {
        var m = manifest ?? bankManifest()
        if manifest == nil {
            m.tensors = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.sha256.hex) })
        }
        let (text, data) = entries(tensors)
        return raw(header: "{\"__metadata__\":\(metadata(m)),\(text)}", data: data)
    }
}
