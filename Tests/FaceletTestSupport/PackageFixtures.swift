import FaceletPackage
import Foundation

/// Small deterministic packages shared by the store and registry-client tests: a 1/64-width
/// VGG-19 backbone and a two-level bank whose tensors differ exactly where asked.
public enum PackageFixtures {
    /// A tiny VGG-19 (channels 1/2/4/8): relu3_1 has 4 channels, relu4_1 and relu5_1 have 8.
    public static let architecture = Architecture.vgg19(width: 1.0 / 64)

    /// Distinct, exactly representable values for each seed (no two seeds share bytes).
    public static func values(count: Int, seed: Int) -> [Float] {
        (0..<count).map { Float(seed * 4096 + $0) / 1024 }
    }

    /// A backbone with every tensor the architecture expects.
    public static func backbone(name: String = "vgg19-tiny", version: String = "1",
                                seed: Int = 0) throws -> Package {
        try encodedBackbone(name: name, version: version, seed: seed).package
    }

    /// The same backbone with its package file's bytes.
    public static func encodedBackbone(name: String = "vgg19-tiny", version: String = "1",
                                       seed: Int = 0) throws -> (package: Package, data: Data) {
        let manifest = Manifest(kind: .backbone, name: name, version: version,
                                description: "A 1/64-width VGG-19 for tests.",
                                architecture: architecture, provenance: ["method": "random"])
        let tensors = architecture.expectedTensors().sorted { $0.key < $1.key }.enumerated()
            .map { offset, entry in
                PackageTensor.float32(name: entry.key, shape: entry.value,
                                      values: values(count: entry.value.reduce(1, *),
                                                     seed: 10_000 + seed * 1000 + offset))
            }
        let encoded = try PackageWriter.encode(manifest, tensors: tensors)
        return (encoded.package, encoded.data)
    }

    /// The names of a bank's six tensors at `level`.
    public static func bankTensorNames(level: String) -> [String] {
        (0..<3).flatMap { ["\(level).\($0).weight", "\(level).\($0).bias"] }
    }

    /// A bank on relu3_1 (4 channels) and relu4_1 (8 channels). Tensors named in `changed`
    /// get different values, so two banks differ in exactly those tensors.
    public static func bank(name: String = "beard", version: String = "1", backbone: Digest,
                            changed: Set<String> = [], variant: Int = 1) throws -> Package {
        let manifest = Manifest(kind: .bank, name: name, version: version,
                                description: "Adds a beard.", backbone: backbone,
                                levels: ["relu3_1", "relu4_1"],
                                bank: BankDescription(padding: [.reflect, .zero, .reflect]),
                                provenance: ["method": "facelet"])
        let channels = ["relu3_1": 4, "relu4_1": 8]
        var tensors: [PackageTensor] = []
        var seed = 0
        for level in ["relu3_1", "relu4_1"] {
            let c = channels[level] ?? 0
            for tensorName in bankTensorNames(level: level) {
                seed += 1
                let shape = tensorName.hasSuffix("weight") ? [c, c, 3, 3] : [c]
                let tensorSeed = changed.contains(tensorName) ? seed + 100 * variant : seed
                tensors.append(.float32(name: tensorName, shape: shape,
                                        values: values(count: shape.reduce(1, *),
                                                       seed: tensorSeed)))
            }
        }
        return try PackageWriter.encode(manifest, tensors: tensors).package
    }

    /// Bytes that pass the store's PNG check (the signature plus a body).
    public static func png(_ marker: String) -> Data {
        Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + Data(marker.utf8)
    }
}
