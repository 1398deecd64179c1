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

    /// This `difference` backbone with its decoder's output turned into `affine-difference`
    /// coefficients that make exactly the same edits: the last convolution's 3 output channels
    /// become the offset b (channels 9–11) and the 9 new matrix channels start at zero, so
    /// `x + (A' − A)·x + (b' − b)` equals `x + D(ψ') − D(ψ)` until training moves A.
    ///
    /// - Throws: `.invalidOption` when the backbone's output mode is not `difference` or its
    ///   decoder does not end with a convolution.
    public func convertedToAffineDifference() throws(TrainingError) -> TrainableBackbone {
        guard architecture.output == .difference else {
            throw TrainingError(.invalidOption,
                                "only a difference decoder converts to affine-difference; this "
                                    + "backbone's output is \(architecture.output.rawValue)")
        }
        guard case .conv(var last)? = architecture.decoder.last else {
            throw TrainingError(.invalidOption,
                                "the decoder does not end with a convolution, so its output "
                                    + "cannot be widened to colour-transform coefficients")
        }
        var all = tensors
        guard let weight = all[last.name + ".weight"], let bias = all[last.name + ".bias"] else {
            throw TrainingError(.backboneMismatch, "the decoder lacks \(last.name)'s tensors")
        }
        let perOutput = weight.count / last.out
        var widenedWeight = Tensor(zeros: [AffineColour.channels] + weight.shape.dropFirst())
        var widenedBias = Tensor(zeros: [AffineColour.channels])
        let offsetStart = AffineColour.channels - 3
        widenedWeight.data.replaceSubrange(offsetStart * perOutput ..< AffineColour.channels
                                            * perOutput, with: weight.data)
        widenedBias.data.replaceSubrange(offsetStart ..< AffineColour.channels, with: bias.data)
        all[last.name + ".weight"] = widenedWeight
        all[last.name + ".bias"] = widenedBias

        var converted = architecture
        last.out = AffineColour.channels
        converted.decoder[converted.decoder.count - 1] = .conv(last)
        converted.output = .affineDifference
        return try TrainableBackbone(architecture: converted, tensors: all)
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
