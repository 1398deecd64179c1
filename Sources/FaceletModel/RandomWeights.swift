import FaceletPackage
import Foundation

/// Deterministic random packages for tests and demos: the same seed gives the same bytes (and
/// so the same content digest) on every machine.
public enum RandomWeights {
    /// A backbone package for `architecture` with He-normal convolution weights
    /// (standard deviation `sqrt(2 / (in · k · k))`) and biases drawn with standard deviation
    /// `biasScale` (zero by default). Batch normalisation gets γ ≈ 1, β ≈ 0, running mean ≈ 0
    /// and running variance ≈ 1, each perturbed by 10 %.
    ///
    /// - Returns: the file's bytes and the package.
    /// - Throws: `PackageError` when the writer refuses the result (a bad name, an invalid
    ///   architecture).
    public static func backbone(_ architecture: Architecture, seed: UInt64,
                                biasScale: Double = 0, name: String = "random-backbone",
                                version: String = "1") throws(PackageError)
        -> (data: Data, package: Package) {
        var generator = SplitMix64(seed: seed)
        var tensors: [PackageTensor] = []
        for spec in architecture.convolutions {
            let fanIn = Double(spec.in * spec.kernel * spec.kernel)
            tensors.append(normal(name: spec.name + ".weight",
                                  shape: [spec.out, spec.in, spec.kernel, spec.kernel],
                                  mean: 0, std: (2 / fanIn).squareRoot(), using: &generator))
            tensors.append(normal(name: spec.name + ".bias", shape: [spec.out], mean: 0,
                                  std: biasScale, using: &generator))
            guard spec.batchnorm != nil else { continue }
            let bn = spec.name + ".bn."
            tensors.append(normal(name: bn + "weight", shape: [spec.out], mean: 1, std: 0.1,
                                  using: &generator))
            tensors.append(normal(name: bn + "bias", shape: [spec.out], mean: 0, std: 0.1,
                                  using: &generator))
            tensors.append(normal(name: bn + "running_mean", shape: [spec.out], mean: 0,
                                  std: 0.1, using: &generator))
            let variance = (0..<spec.out).map { _ in
                Float(1 + 0.1 * abs(generator.nextNormal()))
            }
            tensors.append(float32(name: bn + "running_var", shape: [spec.out],
                                   values: variance))
        }
        let manifest = Manifest(kind: .backbone, name: name, version: version,
                                description: "Random weights (seed \(seed)) for tests and demos.",
                                architecture: architecture,
                                provenance: ["method": "random", "seed": String(seed)])
        return try PackageWriter.encode(manifest, tensors: tensors)
    }

    /// A bank package bound to `backbone` acting on `levels` (all of the backbone's when nil):
    /// per level three 3×3 convolutions with He-normal weights times `scale` (0 gives an
    /// all-zero bank, whose Δv is zero) and biases drawn with standard deviation `biasScale`.
    ///
    /// - Returns: the file's bytes and the package.
    /// - Throws: `PackageError` when the writer refuses the result.
    public static func bank(for backbone: Backbone, levels: [String]? = nil, seed: UInt64,
                            scale: Double = 0.1, biasScale: Double = 0,
                            padding: [FaceletPackage.Padding] = [.zero, .zero, .zero],
                            name: String = "random-bank",
                            version: String = "1") throws(PackageError)
        -> (data: Data, package: Package) {
        precondition(padding.count == 3, "a bank has three convolutions per level")
        let chosen = levels ?? backbone.levels.map(\.name)
        var generator = SplitMix64(seed: seed)
        var tensors: [PackageTensor] = []
        for levelName in chosen {
            guard let level = backbone.level(named: levelName) else {
                preconditionFailure("backbone has no level \(levelName)")
            }
            let c = level.channels
            let std = scale * (2 / Double(c * 9)).squareRoot()
            for index in 0..<3 {
                let prefix = "\(levelName).\(index)."
                tensors.append(normal(name: prefix + "weight", shape: [c, c, 3, 3], mean: 0,
                                      std: std, using: &generator))
                tensors.append(normal(name: prefix + "bias", shape: [c], mean: 0,
                                      std: biasScale, using: &generator))
            }
        }
        let manifest = Manifest(kind: .bank, name: name, version: version,
                                description: "Random bank (seed \(seed)) for tests and demos.",
                                backbone: backbone.contentDigest, levels: chosen,
                                bank: BankDescription(padding: padding),
                                provenance: ["method": "random", "seed": String(seed)])
        return try PackageWriter.encode(manifest, tensors: tensors)
    }

    private static func normal(name: String, shape: [Int], mean: Double, std: Double,
                               using generator: inout SplitMix64) -> PackageTensor {
        let count = shape.reduce(1, *)
        let values = (0..<count).map { _ in Float(mean + std * generator.nextNormal()) }
        return float32(name: name, shape: shape, values: values)
    }

    /// A float32 package tensor, its bytes written in one pass (`PackageTensor.float32` appends
    /// value by value, which dominates the time for a full-width VGG-19).
    private static func float32(name: String, shape: [Int], values: [Float]) -> PackageTensor {
        let words = values.map { $0.bitPattern.littleEndian }
        let bytes = words.withUnsafeBytes { Data($0) }
        return PackageTensor(name: name, dtype: .f32, shape: shape, bytes: bytes)
    }
}
