import FaceletPackage
import FaceletTensor

/// The benchmark's network: an architecture's encoder and decoder plus a three-convolution
/// facelet bank per level (the layout `../shared/bench/peer_onnx.py` builds), with random
/// He-scaled weights and zero biases, every convolution prepared once.
struct BenchNetwork {
    /// One convolution layer, ready to run.
    struct Layer {
        let name: String
        let prepared: PreparedConvolution
        let padding: FaceletTensor.Padding
        let relu: Bool
    }

    /// One step of the encoder or decoder.
    enum Step {
        case conv(Layer)
        case maxpool
        case upsample(FaceletTensor.UpsampleMode)
        case tap(String)
        case input(String)
        case merge(String, concat: Bool)
    }

    let encoder: [Step]
    let decoder: [Step]
    /// Per level name, its facelet convolutions (c→c ReLU, c→c ReLU, c→c linear).
    let facelets: [(level: String, layers: [Layer])]

    /// Builds the network of `architecture` with weights from a SplitMix64 stream at `seed`.
    init(architecture: Architecture, seed: UInt64) {
        var random = BenchRandom(state: seed)
        func layer(_ spec: ConvSpec) -> Layer {
            let weight = random.heWeight(out: spec.out, in: spec.in, kernel: spec.kernel)
            let padding = FaceletTensor.Padding(rawValue: spec.padding.rawValue) ?? .zero
            return Layer(name: spec.name,
                         prepared: PreparedConvolution(weight: weight, bias: nil),
                         padding: padding, relu: spec.activation == .relu)
        }
        func steps(_ ops: [LayerOp]) -> [Step] {
            ops.map { op in
                switch op {
                case .conv(let spec): return .conv(layer(spec))
                case .maxpool: return .maxpool
                case .upsample(let mode):
                    return .upsample(FaceletTensor.UpsampleMode(rawValue: mode.rawValue)
                                     ?? .nearest)
                case .tap(let level): return .tap(level)
                case .input(let level): return .input(level)
                case .merge(let level, let mode): return .merge(level, concat: mode == .concat)
                }
            }
        }
        encoder = steps(architecture.encoder)
        facelets = architecture.levels.map { level in
            let c = level.channels
            let specs = [
                ConvSpec(name: "facelet.\(level.name).conv1", in: c, out: c),
                ConvSpec(name: "facelet.\(level.name).conv2", in: c, out: c),
                ConvSpec(name: "facelet.\(level.name).conv3", in: c, out: c, activation: .none),
            ]
            return (level.name, specs.map(layer))
        }
        decoder = steps(architecture.decoder)
    }

    /// The levels ψ(x) of the image `x` (`[1, 3, H, W]`).
    func encode(_ x: Tensor, timer: LayerTimer?) -> [String: Tensor] {
        var features: [String: Tensor] = [:]
        var current = x
        for step in encoder {
            switch step {
            case .tap(let level): features[level] = current
            default: current = run(step, current, levels: [:], timer: timer)
            }
        }
        return features
    }

    /// The facelet outputs Δv per level.
    func facelet(_ features: [String: Tensor], timer: LayerTimer?) -> [String: Tensor] {
        var deltas: [String: Tensor] = [:]
        for (level, layers) in facelets {
            guard var current = features[level] else { continue }
            for layer in layers { current = convolve(layer, current, timer: timer) }
            deltas[level] = current
        }
        return deltas
    }

    /// The decoded image from the manipulated levels `ψ + strength · Δv`.
    func decode(features: [String: Tensor], deltas: [String: Tensor], strength: Float,
                timer: LayerTimer?) -> Tensor {
        var manipulated: [String: Tensor] = [:]
        for (level, feature) in features {
            manipulated[level] = deltas[level].map { Ops.addScaled(feature, $0, scale: strength) }
                ?? feature
        }
        var current = Tensor(zeros: [0])
        for step in decoder {
            current = run(step, current, levels: manipulated, timer: timer)
        }
        return current
    }

    private func run(_ step: Step, _ x: Tensor, levels: [String: Tensor],
                     timer: LayerTimer?) -> Tensor {
        switch step {
        case .conv(let layer): return convolve(layer, x, timer: timer)
        case .maxpool: return timed("maxpool", timer) { Ops.maxPool2x2(x) }
        case .upsample(let mode): return timed("upsample", timer) { Ops.upsample2x(x, mode: mode) }
        case .tap: return x
        case .input(let level): return levels[level] ?? x
        case .merge(let level, let concat):
            guard let other = levels[level] else { return x }
            return timed("merge", timer) {
                concat ? Ops.concatChannels(x, other) : Ops.add(x, other)
            }
        }
    }

    private func convolve(_ layer: Layer, _ x: Tensor, timer: LayerTimer?) -> Tensor {
        guard let timer else {
            return Ops.conv2d(x, prepared: layer.prepared, padding: layer.padding,
                              relu: layer.relu)
        }
        let start = BenchClock.now()
        let cpuStart = BenchClock.cpu()
        let y = Ops.conv2d(x, prepared: layer.prepared, padding: layer.padding,
                           relu: layer.relu)
        let p = layer.prepared
        let flops = 2 * p.inChannels * p.outChannels * p.kernel * p.kernel * x.h * x.w
        let path = p.usesWinograd(height: x.h, width: x.w) ? "winograd" : "im2col"
        timer.record(LayerTiming(name: layer.name, shape: "\(p.inChannels)->\(p.outChannels) "
                                    + "\(x.h)x\(x.w)", path: path,
                                 seconds: BenchClock.now() - start,
                                 cpuSeconds: BenchClock.cpu() - cpuStart, flops: flops))
        return y
    }

    private func timed(_ name: String, _ timer: LayerTimer?, _ body: () -> Tensor) -> Tensor {
        guard let timer else { return body() }
        let start = BenchClock.now()
        let cpuStart = BenchClock.cpu()
        let y = body()
        timer.record(LayerTiming(name: name, shape: "", path: "other",
                                 seconds: BenchClock.now() - start,
                                 cpuSeconds: BenchClock.cpu() - cpuStart, flops: 0))
        return y
    }
}

/// The time of one layer in one run.
struct LayerTiming {
    let name: String
    let shape: String
    let path: String
    let seconds: Double
    /// CPU time of the process (all threads) during the layer.
    let cpuSeconds: Double
    let flops: Int
}

/// Collects the per-layer times of one run.
final class LayerTimer {
    private(set) var timings: [LayerTiming] = []

    func record(_ timing: LayerTiming) { timings.append(timing) }
}

/// SplitMix64 weights for the benchmark.
struct BenchRandom {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Float { Float(next() >> 40) / Float(1 << 24) }

    /// A `[out, in, k, k]` weight, uniform with He's variance `2 / (in * k * k)`.
    mutating func heWeight(out: Int, in inChannels: Int, kernel: Int) -> Tensor {
        let count = out * inChannels * kernel * kernel
        let bound = Float((6.0 / Double(inChannels * kernel * kernel)).squareRoot())
        var data = [Float](repeating: 0, count: count)
        for i in 0..<count { data[i] = (2 * unit() - 1) * bound }
        return Tensor(shape: [out, inChannels, kernel, kernel], data: data)
    }

    /// A `[1, 3, size, size]` image uniform in [0, 1).
    mutating func image(size: Int) -> Tensor {
        var data = [Float](repeating: 0, count: 3 * size * size)
        for i in 0..<data.count { data[i] = unit() }
        return Tensor(shape: [1, 3, size, size], data: data)
    }
}
