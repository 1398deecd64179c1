import FaceletTensor
import Foundation

/// The trainable form of a facelet bank: for each level, Conv-ReLU-Conv-ReLU-Conv with 3×3
/// kernels that keep the channel count and the size (docs/format.md, "Bank tensors").
///
/// Parameters are flat `[Float]` buffers so `Adam` can update them; the order is, per level in
/// `levels` order, `weight0, bias0, weight1, bias1, weight2, bias2` (weights `[C, C, 3, 3]`,
/// out/in/kh/kw, row-major; biases `[C]`).
public struct BankNetwork: Sendable, Equatable, Codable {
    /// The levels the bank acts on, in order.
    public let levels: [String]
    /// The channel count of each level.
    public let channels: [Int]
    /// The border mode of each of the three convolutions (the same for every level).
    public let padding: [Padding]
    /// The parameter buffers (see the type's discussion for the order).
    public var parameters: [[Float]]

    /// Makes a bank with He-initialised hidden convolutions and a near-zero output layer.
    ///
    /// The first two convolutions get weights from N(0, 2 / (9C)) and zero biases; the last
    /// one gets weights from N(0, (0.1)² · 2 / (9C)) and `outputBias` (or zero), so the
    /// untrained bank outputs about `outputBias` everywhere.
    ///
    /// - Parameters:
    ///   - outputBias: per level, the initial bias of the last convolution (`[C]`), or nil.
    public init(levels: [String], channels: [Int], padding: [Padding] = [.zero, .zero, .zero],
                seed: UInt64, outputBias: [[Float]]? = nil) {
        precondition(levels.count == channels.count && !levels.isEmpty,
                     "One channel count per level")
        precondition(channels.allSatisfy { $0 > 0 }, "Channel counts must be positive")
        precondition(padding.count == 3, "A bank has three convolutions per level")
        self.levels = levels
        self.channels = channels
        self.padding = padding
        var rng = TrainingRandom(seed: seed)
        var buffers: [[Float]] = []
        for (levelIndex, c) in channels.enumerated() {
            let std = (2.0 / Float(9 * c)).squareRoot()
            for layer in 0 ..< 3 {
                let scale = layer == 2 ? 0.1 * std : std
                buffers.append((0 ..< c * c * 9).map { _ in scale * rng.nextGaussian() })
                if layer == 2, let outputBias {
                    precondition(outputBias[levelIndex].count == c, "Output bias size")
                    buffers.append(outputBias[levelIndex])
                } else {
                    buffers.append([Float](repeating: 0, count: c))
                }
            }
        }
        self.parameters = buffers
    }

    /// Makes a bank from existing buffers.
    public init(levels: [String], channels: [Int], padding: [Padding],
                parameters: [[Float]]) {
        precondition(levels.count == channels.count && padding.count == 3, "Bank shape")
        precondition(parameters.count == 6 * levels.count, "Six buffers per level")
        for (i, c) in channels.enumerated() {
            for layer in 0 ..< 3 {
                precondition(parameters[6 * i + 2 * layer].count == c * c * 9
                                && parameters[6 * i + 2 * layer + 1].count == c,
                             "Parameter sizes do not match \(c) channels")
            }
        }
        self.levels = levels
        self.channels = channels
        self.padding = padding
        self.parameters = parameters
    }

    /// The element counts of the parameter buffers, in order (for `Adam`).
    public var parameterCounts: [Int] { parameters.map(\.count) }

    /// The weight `[C, C, 3, 3]` of convolution `layer` (0, 1, 2) of level number `level`.
    public func weight(level: Int, layer: Int) -> Tensor {
        let c = channels[level]
        return Tensor(shape: [c, c, 3, 3], data: parameters[6 * level + 2 * layer])
    }

    /// The bias `[C]` of convolution `layer` (0, 1, 2) of level number `level`.
    public func bias(level: Int, layer: Int) -> Tensor {
        Tensor(shape: [channels[level]], data: parameters[6 * level + 2 * layer + 1])
    }

    /// The intermediate activations of one level's forward pass, kept for the backward pass.
    public struct Activations: Sendable {
        /// The input feature `[N, C, H, W]`.
        public var input: Tensor
        /// The output of the first Conv-ReLU.
        public var hidden1: Tensor
        /// The output of the second Conv-ReLU.
        public var hidden2: Tensor
        /// The bank's output Δv `[N, C, H, W]`.
        public var output: Tensor
    }

    /// The bank's output for level number `level` on `feature` `[N, C, H, W]`.
    public func forward(level: Int, _ feature: Tensor) -> Activations {
        precondition(feature.rank == 4 && feature.c == channels[level],
                     "Level \(levels[level]) expects \(channels[level]) channels, got "
                        + "\(feature.shape)")
        let h1 = Ops.conv2d(feature, weight: weight(level: level, layer: 0),
                            bias: bias(level: level, layer: 0), padding: padding[0], relu: true)
        let h2 = Ops.conv2d(h1, weight: weight(level: level, layer: 1),
                            bias: bias(level: level, layer: 1), padding: padding[1], relu: true)
        let out = Ops.conv2d(h2, weight: weight(level: level, layer: 2),
                             bias: bias(level: level, layer: 2), padding: padding[2])
        return Activations(input: feature, hidden1: h1, hidden2: h2, output: out)
    }

    /// The gradients of a loss with respect to level `level`'s six parameter buffers, given
    /// the forward activations and the loss gradient at the output, in buffer order.
    public func backward(level: Int, _ activations: Activations,
                         gradOutput: Tensor) -> [[Float]] {
        let g2 = Gradients.conv2d(activations.hidden2, weight: weight(level: level, layer: 2),
                                  padding: padding[2], gradOutput: gradOutput,
                                  needInputGradient: true)
        let gPre2 = Gradients.relu(activations.hidden2, gradOutput: g2.input ?? gradOutput)
        let g1 = Gradients.conv2d(activations.hidden1, weight: weight(level: level, layer: 1),
                                  padding: padding[1], gradOutput: gPre2,
                                  needInputGradient: true)
        let gPre1 = Gradients.relu(activations.hidden1, gradOutput: g1.input ?? gPre2)
        let g0 = Gradients.conv2d(activations.input, weight: weight(level: level, layer: 0),
                                  padding: padding[0], gradOutput: gPre1,
                                  needInputGradient: false)
        return [g0.weight.data, g0.bias.data, g1.weight.data, g1.bias.data,
                g2.weight.data, g2.bias.data]
    }

    /// The bank rescaled for inputs and outputs `scale` times larger: level `level` of the
    /// result maps `s·ψ` to `s·V(ψ)`. The first weight is divided by `s`; the last weight and
    /// bias are multiplied by `s` (ReLU commutes with a positive scale).
    public func rescaled(_ scales: [Float]) -> BankNetwork {
        precondition(scales.count == levels.count && scales.allSatisfy { $0 > 0 },
                     "One positive scale per level")
        var copy = self
        for (i, s) in scales.enumerated() {
            copy.parameters[6 * i] = copy.parameters[6 * i].map { $0 / s }
            copy.parameters[6 * i + 4] = copy.parameters[6 * i + 4].map { $0 * s }
            copy.parameters[6 * i + 5] = copy.parameters[6 * i + 5].map { $0 * s }
        }
        return copy
    }
}
