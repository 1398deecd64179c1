import FaceletTensor

/// What a forward pass kept for its backward pass, step by step.
enum SavedStep: Sendable {
    /// A convolution: its input, its output (after any ReLU), whether the input depends on
    /// the decoder's parameters, and the index of its weight in the parameter list (decoder)
    /// or `-1` (encoder).
    case conv(ConvStep, input: Tensor, output: Tensor, inputNeedsGradient: Bool,
              parameter: Int)
    case maxPool(input: Tensor)
    case upsample(FaceletTensor.UpsampleMode, inputShape: [Int])
    case concat(channels: Int)
    case passThrough
}

/// The encoder's forward pass on an image batch, kept for the backward pass.
public struct EncoderTrace: Sendable {
    /// ψ: the tapped levels, in the architecture's level order.
    public let levels: [Tensor]
    let saved: [SavedStep]
}

/// The decoder's forward pass from a feature, kept for the backward pass.
public struct DecoderTrace: Sendable {
    /// The decoder's output `[N, 3, H, W]` in normalised space (before any output mode).
    public let output: Tensor
    let saved: [SavedStep]
}

extension TrainableBackbone {
    // MARK: - Encoder

    /// ψ(x): the levels of a normalised image batch `[N, 3, H, W]` (H, W multiples of the
    /// deepest level's stride), in the architecture's level order.
    public func encode(_ images: Tensor) -> [Tensor] {
        runEncoder(images, keep: false).levels
    }

    /// The encoder's forward pass, keeping what `encoderInputGradient` needs.
    public func encodeForBackward(_ images: Tensor) -> EncoderTrace {
        runEncoder(images, keep: true)
    }

    private func runEncoder(_ images: Tensor, keep: Bool) -> EncoderTrace {
        var levels = [Tensor?](repeating: nil, count: architecture.levels.count)
        var saved: [SavedStep] = []
        var current = images
        let lastTap = encoderSteps.lastIndex { if case .tap = $0 { true } else { false } } ?? -1
        for (index, step) in encoderSteps.enumerated() where index <= lastTap {
            switch step {
            case .conv(let layer):
                let output = Ops.conv2d(current, weight: encoderWeight(layer),
                                        bias: encoderTensors[layer.name + ".bias"],
                                        padding: layer.padding, relu: layer.relu)
                if keep {
                    saved.append(.conv(layer, input: current, output: output,
                                       inputNeedsGradient: true, parameter: -1))
                }
                current = output
            case .maxPool:
                if keep { saved.append(.maxPool(input: current)) }
                current = Ops.maxPool2x2(current)
            case .upsample(let mode):
                if keep { saved.append(.upsample(mode, inputShape: current.shape)) }
                current = Ops.upsample2x(current, mode: mode)
            case .tap(let level):
                if keep { saved.append(.passThrough) }
                levels[level] = current
            case .input, .merge:
                preconditionFailure("input/merge in an encoder (the architecture validated)")
            }
        }
        return EncoderTrace(levels: levels.map { $0 ?? Tensor(zeros: [0]) }, saved: saved)
    }

    /// The gradient of a loss at the encoder's input, given its gradients at the levels
    /// (`nil` for a level the loss does not use). The encoder's weights stay frozen: no weight
    /// gradients are computed.
    public func encoderInputGradient(_ trace: EncoderTrace, levelGradients: [Tensor?])
        -> Tensor {
        precondition(levelGradients.count == architecture.levels.count,
                     "one gradient (or nil) per level")
        var gradient: Tensor?
        var savedIndex = trace.saved.count
        let steps = encoderSteps.prefix(trace.saved.count)
        for step in steps.reversed() {
            savedIndex -= 1
            let saved = trace.saved[savedIndex]
            switch (step, saved) {
            case (.tap(let level), _):
                if let levelGradient = levelGradients[level] {
                    gradient = gradient.map { Ops.add($0, levelGradient) } ?? levelGradient
                }
            case (.conv(let layer), .conv(_, let input, let output, _, _)):
                guard let g = gradient else { continue }
                let preActivation = layer.relu ? Gradients.relu(output, gradOutput: g) : g
                if let transposed = transposedEncoderWeights[layer.name] {
                    gradient = Ops.conv2d(preActivation, weight: transposed, bias: nil,
                                          padding: .zero)
                } else {
                    gradient = Gradients.conv2d(input, weight: encoderWeight(layer),
                                                padding: layer.padding,
                                                gradOutput: preActivation,
                                                needInputGradient: true).input
                }
            case (.maxPool, .maxPool(let input)):
                guard let g = gradient else { continue }
                gradient = Gradients.maxPool2x2(input, gradOutput: g)
            case (.upsample, .upsample(let mode, let inputShape)):
                guard let g = gradient else { continue }
                gradient = Gradients.upsample2x(g, inputShape: inputShape, mode: mode)
            default:
                preconditionFailure("encoder trace does not match the encoder")
            }
        }
        let inputShape: [Int]
        switch trace.saved.first {
        case .conv(_, let input, _, _, _): inputShape = input.shape
        case .maxPool(let input): inputShape = input.shape
        case .upsample(_, let shape): inputShape = shape
        default: inputShape = trace.levels.first?.shape ?? [0]
        }
        return gradient ?? Tensor(zeros: inputShape)
    }

    private func encoderWeight(_ layer: ConvStep) -> Tensor {
        guard let weight = encoderTensors[layer.name + ".weight"] else {
            preconditionFailure("encoder tensor \(layer.name).weight checked at init")
        }
        return weight
    }

    // MARK: - Decoder

    /// D(ψ): the decoder's output `[N, 3, H, W]` in normalised space (before the output mode)
    /// from levels in the architecture's level order.
    public func decode(_ levels: [Tensor]) -> Tensor {
        runDecoder(levels, keep: false).output
    }

    /// The decoder's forward pass, keeping what `decoderParameterGradients` needs.
    public func decodeForBackward(_ levels: [Tensor]) -> DecoderTrace {
        runDecoder(levels, keep: true)
    }

    private func runDecoder(_ levels: [Tensor], keep: Bool) -> DecoderTrace {
        precondition(levels.count == architecture.levels.count, "one tensor per level")
        var saved: [SavedStep] = []
        var current = Tensor(zeros: [0])
        var dependsOnParameters = false
        var parameter = 0
        for step in decoderSteps {
            switch step {
            case .input(let level):
                current = levels[level]
                if keep { saved.append(.passThrough) }
            case .conv(let layer):
                let output = Ops.conv2d(current, weight: decoderParameters[parameter],
                                        bias: decoderParameters[parameter + 1],
                                        padding: layer.padding, relu: layer.relu)
                if keep {
                    saved.append(.conv(layer, input: current, output: output,
                                       inputNeedsGradient: dependsOnParameters,
                                       parameter: parameter))
                }
                current = output
                parameter += 2
                dependsOnParameters = true
            case .maxPool:
                if keep { saved.append(.maxPool(input: current)) }
                current = Ops.maxPool2x2(current)
            case .upsample(let mode):
                if keep { saved.append(.upsample(mode, inputShape: current.shape)) }
                current = Ops.upsample2x(current, mode: mode)
            case .merge(let level, let concat):
                if keep { saved.append(concat ? .concat(channels: current.c) : .passThrough) }
                current = concat ? Ops.concatChannels(current, levels[level])
                    : Ops.add(current, levels[level])
            case .tap:
                preconditionFailure("tap in a decoder (the architecture validated)")
            }
        }
        return DecoderTrace(output: current, saved: saved)
    }

    /// The gradients of a loss with respect to the decoder's parameters (in the order of
    /// `decoderParameters`), given its gradient at the decoder's output. The levels the
    /// decoder read are treated as constants.
    public func decoderParameterGradients(_ trace: DecoderTrace, outputGradient: Tensor)
        -> [Tensor] {
        precondition(outputGradient.shape == trace.output.shape,
                     "output gradient \(outputGradient.shape) does not match the decoder's "
                        + "output \(trace.output.shape)")
        var gradients = decoderParameters.map { Tensor(zeros: $0.shape) }
        var gradient: Tensor? = outputGradient
        for saved in trace.saved.reversed() {
            guard let g = gradient else { break }
            switch saved {
            case .conv(let layer, let input, let output, let needsInput, let parameter):
                let preActivation = layer.relu ? Gradients.relu(output, gradOutput: g) : g
                let result = Gradients.conv2d(input, weight: decoderParameters[parameter],
                                              padding: layer.padding,
                                              gradOutput: preActivation,
                                              needInputGradient: needsInput)
                gradients[parameter] = result.weight
                gradients[parameter + 1] = result.bias
                gradient = result.input
            case .maxPool(let input):
                gradient = Gradients.maxPool2x2(input, gradOutput: g)
            case .upsample(let mode, let inputShape):
                gradient = Gradients.upsample2x(g, inputShape: inputShape, mode: mode)
            case .concat(let channels):
                gradient = Self.leadingChannels(g, count: channels)
            case .passThrough:
                break
            }
        }
        return gradients
    }

    /// The first `count` channels of an NCHW tensor.
    static func leadingChannels(_ x: Tensor, count: Int) -> Tensor {
        let plane = x.h * x.w
        var data = [Float]()
        data.reserveCapacity(x.n * count * plane)
        for n in 0..<x.n {
            let start = n * x.c * plane
            data.append(contentsOf: x.data[start..<(start + count * plane)])
        }
        return Tensor(shape: [x.n, count, x.h, x.w], data: data)
    }
}
