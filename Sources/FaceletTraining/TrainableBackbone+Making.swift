import FaceletModel
import FaceletPackage
import FaceletTensor
import Foundation

extension TrainableBackbone {
    /// The backbone stored in a backbone package (its architecture, encoder and decoder).
    ///
    /// - Throws: `TrainingError` `.backboneMismatch` when the package is not a backbone or
    ///   lacks a tensor, `.unsupportedArchitecture` when training cannot run its architecture.
    public init(package: Package) throws(TrainingError) {
        guard package.manifest.kind == .backbone, let architecture = package.manifest.architecture
        else {
            throw TrainingError(.backboneMismatch,
                                "package \(package.manifest.name) is not a backbone package")
        }
        try self.init(architecture: architecture, tensors: Self.tensors(of: package))
    }

    /// A new backbone with seeded random weights: `RandomWeights.backbone(_:seed:)` of
    /// FaceletModel (He-normal weights, zero biases). Equal architectures and seeds give equal
    /// weights.
    ///
    /// - Throws: `.unsupportedArchitecture` when the architecture is invalid or uses an op
    ///   training does not support.
    public static func seeded(_ architecture: Architecture, seed: UInt64)
        throws(TrainingError) -> TrainableBackbone {
        let package: Package
        do {
            package = try RandomWeights.backbone(architecture, seed: seed).package
        } catch {
            throw TrainingError(.unsupportedArchitecture,
                                "cannot make random weights for the architecture: \(error)")
        }
        return try TrainableBackbone(package: package)
    }

    /// A backbone that keeps `encoderSource`'s encoder (imported weights) and starts the
    /// decoder from seeded random weights (the decoder of `seeded(_:seed:)`).
    ///
    /// - Throws: `.backboneMismatch` when the package is not a backbone,
    ///   `.unsupportedArchitecture` when training cannot run its architecture.
    public static func freshDecoder(encoderFrom encoderSource: Package, seed: UInt64)
        throws(TrainingError) -> TrainableBackbone {
        let source = try TrainableBackbone(package: encoderSource)
        let random = try seeded(source.architecture, seed: seed)
        var tensors = source.encoderTensors
        for (name, tensor) in zip(random.decoderParameterNames, random.decoderParameters) {
            tensors[name] = tensor
        }
        return try TrainableBackbone(architecture: source.architecture, tensors: tensors)
    }

    /// The backbone as a package (encoder and trained decoder), ready to write.
    ///
    /// - Returns: the file's bytes and the package (with its content digest).
    /// - Throws: `.io` when the package writer refuses the content (a bad name or version).
    public func package(name: String, version: String, description: String = "",
                        provenance: [String: String]) throws(TrainingError)
        -> (data: Data, package: Package) {
        let manifest = Manifest(kind: .backbone, name: name, version: version,
                                description: description, architecture: architecture,
                                provenance: provenance)
        let packageTensors = tensors.map { name, tensor in
            PackageTensor.float32(name: name, shape: tensor.shape, values: tensor.data)
        }
        do {
            return try PackageWriter.encode(manifest, tensors: packageTensors)
        } catch {
            throw TrainingError(.io, "cannot encode backbone package \(name): \(error)")
        }
    }

    private static func tensors(of package: Package) -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for tensor in package.tensors {
            result[tensor.name] = Tensor(shape: tensor.shape, data: tensor.floats())
        }
        return result
    }
}
