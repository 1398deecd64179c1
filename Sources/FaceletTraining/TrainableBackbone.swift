import FaceletPackage
import FaceletTensor

/// A backbone whose decoder can be trained: the architecture's encoder (frozen) and decoder
/// interpreted with forward passes that keep what the backward passes need.
///
/// Tensors are NCHW float32. Images enter in the network's normalised space
/// (`(x - mean) / std` with `x` RGB in [0, 1], see `normalize(_:)`). The encoder's weights never
/// change; the decoder's parameters are `decoderParameters`, ordered as
/// `decoderParameterNames` (`<conv>.weight`, `<conv>.bias` for each decoder convolution in
/// order), which is the order every gradient list uses.
///
/// Supported ops: `conv` (zero or reflect padding, ReLU or none), `maxpool`, `upsample`
/// (nearest and bilinear), `tap`, `input`, `merge` (concat and add).
// TODO: batch-normalised convolutions (`batchnorm: running/instance`) are refused by `init`;
// training them needs the batch-norm backward pass, which FaceletTensor does not have yet.
public struct TrainableBackbone: Sendable {
    /// The architecture the network was built from.
    public let architecture: Architecture
    /// The frozen encoder's tensors (`<conv>.weight`, `<conv>.bias`).
    public let encoderTensors: [String: Tensor]
    /// The decoder's trainable parameters, in the order of `decoderParameterNames`.
    public var decoderParameters: [Tensor]
    /// The names of the decoder's parameters: `<conv>.weight` then `<conv>.bias`, per
    /// decoder convolution in order.
    public let decoderParameterNames: [String]

    let encoderSteps: [NetworkStep]
    let decoderSteps: [NetworkStep]
    /// For each encoder convolution with zero padding, its weight flipped and transposed
    /// (`[in, out, k, k]`), so the input gradient is one forward convolution.
    let transposedEncoderWeights: [String: Tensor]
    let mean: [Float]
    let std: [Float]

    /// Builds the network from an architecture and its tensors (encoder and decoder).
    ///
    /// - Throws: `TrainingError` (`unsupported-architecture`, `missing-tensor`,
    ///   `tensor-shape`) when the architecture uses an op training does not support or a
    ///   tensor is missing or mis-shaped.
    public init(architecture: Architecture, tensors: [String: Tensor])
        throws(TrainingError) {
        let plan = try NetworkPlan(architecture)
        var encoderTensors: [String: Tensor] = [:]
        var transposed: [String: Tensor] = [:]
        for case .conv(let layer) in plan.encoder {
            let (weight, bias) = try Self.convTensors(layer, from: tensors)
            encoderTensors[layer.name + ".weight"] = weight
            encoderTensors[layer.name + ".bias"] = bias
            if layer.padding == .zero {
                transposed[layer.name] = Self.flippedTranspose(weight)
            }
        }
        var names: [String] = []
        var parameters: [Tensor] = []
        for case .conv(let layer) in plan.decoder {
            let (weight, bias) = try Self.convTensors(layer, from: tensors)
            names += [layer.name + ".weight", layer.name + ".bias"]
            parameters += [weight, bias]
        }
        self.architecture = architecture
        self.encoderTensors = encoderTensors
        self.decoderParameters = parameters
        self.decoderParameterNames = names
        self.encoderSteps = plan.encoder
        self.decoderSteps = plan.decoder
        self.transposedEncoderWeights = transposed
        self.mean = architecture.input.mean.map { Float($0) }
        self.std = architecture.input.std.map { Float($0) }
    }

    /// All tensors of the backbone (encoder and current decoder), keyed by name, as a backbone
    /// package stores them.
    public var tensors: [String: Tensor] {
        var all = encoderTensors
        for (name, tensor) in zip(decoderParameterNames, decoderParameters) {
            all[name] = tensor
        }
        return all
    }

    /// The number of trainable decoder parameters (scalars).
    public var decoderParameterCount: Int {
        decoderParameters.reduce(0) { $0 + $1.count }
    }

    /// The level names in ψ's order (the architecture's `levels`).
    public var levelNames: [String] { architecture.levels.map(\.name) }

    // MARK: - Normalisation

    /// Maps RGB images in [0, 1] (`[N, 3, H, W]`) to the network's space `(x - mean) / std`.
    public func normalize(_ images: Tensor) -> Tensor {
        mapChannels(images) { value, channel in (value - mean[channel]) / std[channel] }
    }

    /// Maps normalised images back to RGB (`x * std + mean`), without clamping.
    public func denormalize(_ images: Tensor) -> Tensor {
        mapChannels(images) { value, channel in value * std[channel] + mean[channel] }
    }

    private func mapChannels(_ images: Tensor, _ transform: (Float, Int) -> Float) -> Tensor {
        precondition(images.rank == 4 && images.c == 3,
                     "expected RGB images [N, 3, H, W], got \(images.shape)")
        var out = images
        let plane = images.h * images.w
        out.data.withUnsafeMutableBufferPointer { values in
            for n in 0..<images.n {
                for c in 0..<3 {
                    let base = (n * 3 + c) * plane
                    for i in base..<(base + plane) { values[i] = transform(values[i], c) }
                }
            }
        }
        return out
    }

    // MARK: - Tensors

    private static func convTensors(_ layer: ConvStep, from tensors: [String: Tensor])
        throws(TrainingError) -> (weight: Tensor, bias: Tensor) {
        let expected: [(String, [Int])] = [
            (layer.name + ".weight", [layer.outChannels, layer.inChannels, layer.kernel,
                                      layer.kernel]),
            (layer.name + ".bias", [layer.outChannels]),
        ]
        var found: [Tensor] = []
        for (name, shape) in expected {
            guard let tensor = tensors[name] else {
                throw TrainingError(
                    .backboneMismatch,
                    "the backbone has no tensor \(name); give a package made for this "
                        + "architecture")
            }
            guard tensor.shape == shape else {
                throw TrainingError(
                    .backboneMismatch,
                    "tensor \(name) has shape \(tensor.shape), the architecture needs \(shape)")
            }
            found.append(tensor)
        }
        return (found[0], found[1])
    }

    /// `[out, in, k, k]` → `[in, out, k, k]` with both spatial axes reversed: the weight of the
    /// convolution that maps an output gradient to the input gradient (zero padding, stride 1).
    static func flippedTranspose(_ weight: Tensor) -> Tensor {
        let (outC, inC, k) = (weight.shape[0], weight.shape[1], weight.shape[2])
        var result = Tensor(zeros: [inC, outC, k, k])
        let area = k * k
        for o in 0..<outC {
            for i in 0..<inC {
                let source = (o * inC + i) * area
                let target = (i * outC + o) * area
                for t in 0..<area {
                    result.data[target + area - 1 - t] = weight.data[source + t]
                }
            }
        }
        return result
    }
}
