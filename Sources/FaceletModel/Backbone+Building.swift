import FaceletPackage
import FaceletTensor

extension Backbone {
    /// Builds the network from a backbone package.
    ///
    /// The architecture is checked before any weight is read (channel counts chain, every level
    /// is tapped once with its declared channels at its declared stride, merges meet their level
    /// at its resolution, the decoder ends with 3 channels at the input's resolution, the pad
    /// multiple is a multiple of the deepest stride); then every weight is checked for shape and
    /// converted to a tensor.
    ///
    /// - Throws: `ModelError` (`model.wrong_kind`, `model.invalid_architecture`,
    ///   `model.bad_tensor`).
    public init(package: Package) throws(ModelError) {
        let manifest = package.manifest
        guard manifest.kind == .backbone else {
            throw .wrongKind(expected: "backbone", got: manifest.kind.rawValue,
                             name: manifest.name)
        }
        guard let architecture = manifest.architecture else {
            throw .invalidArchitecture("the backbone manifest has no architecture")
        }
        let maximumStride = try Self.check(architecture)

        let weights = WeightReader(package: package)
        encoderSteps = try architecture.encoder.map { op throws(ModelError) in
            try Self.step(op, weights: weights)
        }
        decoderSteps = try architecture.decoder.map { op throws(ModelError) in
            try Self.step(op, weights: weights)
        }
        self.architecture = architecture
        self.contentDigest = package.contentDigest
        self.name = manifest.name
        self.version = manifest.version
        self.mean = architecture.input.mean.map { Float($0) }
        self.std = architecture.input.std.map { Float($0) }
        self.maximumStride = maximumStride
    }

    private static func step(_ op: LayerOp, weights: WeightReader) throws(ModelError) -> Step {
        switch op {
        case .conv(let spec):
            return .conv(try weights.convLayer(spec))
        case .maxpool:
            return .maxpool
        case .upsample(let mode):
            return .upsample(mode == .bilinear ? .bilinear : .nearest)
        case .tap(let level):
            return .tap(level)
        case .input(let level):
            return .input(level)
        case .merge(let level, let mode):
            return .merge(level, mode)
        }
    }

    // MARK: - Checking the description

    /// Checks the description (`Architecture.validate`, the rules of docs/architecture.md) and
    /// returns the deepest stride any activation reaches, encoder or decoder, which the pad
    /// multiple must divide so every pooling meets even sizes.
    private static func check(_ architecture: Architecture) throws(ModelError) -> Int {
        do {
            try architecture.validate()
        } catch {
            throw .invalidArchitecture(error.message)
        }
        var deepest = 1
        var stride = 1
        for op in architecture.encoder + architecture.decoder {
            switch op {
            case .maxpool: stride *= 2
            case .upsample: stride /= 2
            case .input(let level): stride = architecture.level(named: level)?.stride ?? stride
            default: break
            }
            deepest = max(deepest, stride)
        }
        guard architecture.input.padMultiple % deepest == 0 else {
            throw .invalidArchitecture("input.pad_multiple \(architecture.input.padMultiple) is "
                                       + "not a multiple of the deepest stride \(deepest)")
        }
        return deepest
    }
}

/// Reads weights by name from a package, checking shapes.
struct WeightReader {
    let package: Package

    /// The tensor `name`, which must have `shape`.
    func tensor(_ name: String, shape: [Int]) throws(ModelError) -> Tensor {
        guard let stored = package[name] else {
            throw .badTensor(name, expected: shape, got: nil)
        }
        guard stored.shape == shape else {
            throw .badTensor(name, expected: shape, got: stored.shape)
        }
        return Tensor(shape: shape, data: stored.floats())
    }

    /// A convolution described by `spec`, with its batch normalisation tensors if it has one.
    func convLayer(_ spec: ConvSpec) throws(ModelError) -> ConvLayer {
        let channels = [spec.out]
        let weight = try tensor(spec.name + ".weight",
                                shape: [spec.out, spec.in, spec.kernel, spec.kernel])
        let bias = try tensor(spec.name + ".bias", shape: channels)
        var normalisation: ConvLayer.Normalisation?
        switch spec.batchnorm {
        case nil:
            normalisation = nil
        case .running?:
            let variance = try tensor(spec.name + ".bn.running_var", shape: channels)
            guard variance.data.allSatisfy({ $0 >= 0 }) else {
                throw ModelError(.badTensor,
                                 "tensor '\(spec.name).bn.running_var' holds a negative "
                                     + "variance; rebuild the package from valid statistics",
                                 context: ["tensor.name": spec.name + ".bn.running_var"])
            }
            normalisation = .running(
                gamma: try tensor(spec.name + ".bn.weight", shape: channels),
                beta: try tensor(spec.name + ".bn.bias", shape: channels),
                mean: try tensor(spec.name + ".bn.running_mean", shape: channels),
                variance: variance)
        case .instance?:
            normalisation = .instance(
                gamma: try tensor(spec.name + ".bn.weight", shape: channels),
                beta: try tensor(spec.name + ".bn.bias", shape: channels))
        }
        return ConvLayer(name: spec.name, weight: weight, bias: bias,
                         padding: spec.padding == .reflect ? .reflect : .zero,
                         relu: spec.activation == .relu, normalisation: normalisation)
    }
}
