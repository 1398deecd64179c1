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
    /// - Throws: `ModelError` (`model.wrong-kind`, `model.invalid-architecture`,
    ///   `model.bad-tensor`).
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

    /// Walks the description as shapes, and returns the deepest stride.
    private static func check(_ architecture: Architecture) throws(ModelError) -> Int {
        let input = architecture.input
        guard input.mean.count == 3, input.std.count == 3,
              input.mean.allSatisfy({ $0.isFinite }),
              input.std.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw .invalidArchitecture("input.mean and input.std need 3 finite values each, "
                                       + "std positive")
        }
        guard input.padMultiple >= 1, input.padMultiple <= 4096 else {
            throw .invalidArchitecture("input.pad_multiple must be between 1 and 4096")
        }
        guard !architecture.levels.isEmpty else {
            throw .invalidArchitecture("the architecture declares no level")
        }
        var declared: [String: LevelSpec] = [:]
        for level in architecture.levels {
            guard declared.updateValue(level, forKey: level.name) == nil else {
                throw .invalidArchitecture("level '\(level.name)' is declared twice")
            }
            guard level.channels > 0, level.stride > 0 else {
                throw .invalidArchitecture("level '\(level.name)' needs positive channels "
                                           + "and stride")
            }
        }

        var walk = ShapeWalk(channels: 3, stride: 1)
        var tapped: Set<String> = []
        for (index, op) in architecture.encoder.enumerated() {
            let where_ = "encoder[\(index)]"
            switch op {
            case .tap(let name):
                guard let level = declared[name] else {
                    throw .invalidArchitecture("tap of undeclared level '\(name)'", op: where_)
                }
                guard tapped.insert(name).inserted else {
                    throw .invalidArchitecture("level '\(name)' is tapped twice", op: where_)
                }
                guard walk.channels == level.channels, walk.stride == level.stride else {
                    throw .invalidArchitecture(
                        "level '\(name)' is declared with \(level.channels) channels at stride "
                            + "\(level.stride) but tapped with \(walk.channels) at stride "
                            + "\(walk.stride)", op: where_)
                }
            case .input, .merge:
                throw .invalidArchitecture("'input' and 'merge' belong to the decoder", op: where_)
            default:
                try walk.apply(op, at: where_)
            }
        }
        let missing = architecture.levels.map(\.name).filter { !tapped.contains($0) }
        guard missing.isEmpty else {
            throw .invalidArchitecture("levels never tapped: \(missing.joined(separator: ", "))")
        }
        let deepest = walk.maximumStride

        guard case .input(let first)? = architecture.decoder.first, let start = declared[first]
        else {
            throw .invalidArchitecture("the decoder must start with 'input' of a declared level")
        }
        walk = ShapeWalk(channels: start.channels, stride: start.stride)
        for (index, op) in architecture.decoder.enumerated().dropFirst() {
            let where_ = "decoder[\(index)]"
            switch op {
            case .merge(let name, let mode):
                guard let level = declared[name] else {
                    throw .invalidArchitecture("merge of undeclared level '\(name)'", op: where_)
                }
                guard walk.stride == level.stride else {
                    throw .invalidArchitecture(
                        "merge of '\(name)' (stride \(level.stride)) meets the decoder at stride "
                            + "\(walk.stride)", op: where_)
                }
                if mode == .add {
                    guard walk.channels == level.channels else {
                        throw .invalidArchitecture(
                            "merge add of '\(name)' (\(level.channels) channels) meets "
                                + "\(walk.channels) channels", op: where_)
                    }
                } else {
                    walk.channels += level.channels
                }
            case .tap, .input:
                throw .invalidArchitecture("'tap' belongs to the encoder and 'input' comes "
                                           + "first only", op: where_)
            default:
                try walk.apply(op, at: where_)
            }
        }
        guard walk.channels == 3, walk.stride == 1 else {
            throw .invalidArchitecture("the decoder ends with \(walk.channels) channels at stride "
                                       + "\(walk.stride); it must end with 3 at stride 1")
        }
        guard input.padMultiple % deepest == 0 else {
            throw .invalidArchitecture("input.pad_multiple \(input.padMultiple) is not a "
                                       + "multiple of the deepest stride \(deepest)")
        }
        return deepest
    }
}

/// The channel count and stride of the activation while walking a description.
private struct ShapeWalk {
    var channels: Int
    var stride: Int
    var maximumStride = 1

    init(channels: Int, stride: Int) {
        self.channels = channels
        self.stride = stride
        maximumStride = stride
    }

    mutating func apply(_ op: LayerOp, at where_: String) throws(ModelError) {
        switch op {
        case .conv(let spec):
            guard spec.in == channels else {
                throw .invalidArchitecture("conv '\(spec.name)' takes \(spec.in) channels but "
                                           + "receives \(channels)", op: where_)
            }
            guard spec.out > 0, spec.out <= 1 << 16, spec.kernel > 0, spec.kernel % 2 == 1,
                  spec.kernel <= 15 else {
                throw .invalidArchitecture("conv '\(spec.name)' needs an odd kernel up to 15 "
                                           + "and 1 to 65536 output channels", op: where_)
            }
            guard spec.padding != .replicate else {
                throw .invalidArchitecture("conv '\(spec.name)' padding must be zero or reflect",
                                           op: where_)
            }
            channels = spec.out
        case .maxpool:
            guard stride <= 1 << 12 else {
                throw .invalidArchitecture("too many poolings", op: where_)
            }
            stride *= 2
            maximumStride = max(maximumStride, stride)
        case .upsample:
            guard stride % 2 == 0 else {
                throw .invalidArchitecture("upsampling past the input's resolution", op: where_)
            }
            stride /= 2
        case .tap, .input, .merge:
            preconditionFailure("handled by the caller")
        }
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
                throw ModelError(code: "model.bad-tensor",
                                 message: "tensor '\(spec.name).bn.running_var' holds a negative "
                                     + "variance; rebuild the package from valid statistics",
                                 context: ["tensor": spec.name + ".bn.running_var"])
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
