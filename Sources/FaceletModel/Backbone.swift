import FaceletPackage
import FaceletTensor

/// The frozen encoder E and decoder D of a backbone package, built from its architecture
/// description (docs/architecture.md) with the weights converted to tensors once.
///
/// Immutable and `Sendable`: one backbone is shared by every request of a long-running service,
/// and `encode` / `decode` may run on many threads at once.
public struct Backbone: Sendable {
    /// The architecture description the network was built from.
    public let architecture: Architecture
    /// The backbone package's content digest; banks name it to bind themselves.
    public let contentDigest: Digest
    /// The backbone package's name.
    public let name: String
    /// The backbone package's version.
    public let version: String

    let encoderSteps: [Step]
    let decoderSteps: [Step]
    /// Per-channel mean and standard deviation of the input normalisation.
    let mean: [Float]
    let std: [Float]
    /// The product of all pooling steps: encoder inputs must have sizes divisible by it.
    let maximumStride: Int

    /// One op of the built network.
    enum Step: Sendable {
        case conv(ConvLayer)
        case maxpool
        case upsample(FaceletTensor.UpsampleMode)
        case tap(String)
        case input(String)
        case merge(String, MergeMode)
    }

    /// The levels of ψ(x), shallow to deep.
    public var levels: [LevelSpec] { architecture.levels }

    /// The level named `name`, if the backbone has it.
    public func level(named name: String) -> LevelSpec? {
        architecture.level(named: name)
    }

    /// How the decoder's output becomes the edited image.
    public var outputMode: OutputMode { architecture.output }

    /// The input is padded to a multiple of this before encoding.
    public var padMultiple: Int { architecture.input.padMultiple }

    // MARK: - Running

    /// `(x - mean) / std` per channel, for an RGB NCHW tensor with values in [0, 1].
    ///
    /// - Precondition: `image` is NCHW with 3 channels.
    public func normalise(_ image: Tensor) -> Tensor {
        mapChannels(image) { value, c in (value - mean[c]) / std[c] }
    }

    /// `x · std + mean` per channel: the inverse of `normalise` (unclamped).
    ///
    /// - Precondition: `x` is NCHW with 3 channels.
    public func denormalise(_ x: Tensor) -> Tensor {
        mapChannels(x) { value, c in value * std[c] + mean[c] }
    }

    /// Runs the encoder: ψ(x) for an RGB image in [0, 1], NCHW `[N, 3, H, W]`, already padded.
    ///
    /// - Returns: every level of the architecture, in its order; level `L` is
    ///   `[N, channels(L), H / stride(L), W / stride(L)]`.
    /// - Precondition: 3 channels, and `H`, `W` positive multiples of the deepest stride
    ///   (padding to `padMultiple` guarantees it).
    public func encode(_ image: Tensor) -> FeatureSet {
        precondition(image.rank == 4 && image.c == 3,
                     "encode takes an NCHW RGB tensor, got shape \(image.shape)")
        precondition(image.h > 0 && image.w > 0
                        && image.h % maximumStride == 0 && image.w % maximumStride == 0,
                     "encode needs H and W multiples of \(maximumStride), got \(image.shape); "
                        + "pad the image first")
        var x = normalise(image)
        var tapped: [String: Tensor] = [:]
        for step in encoderSteps {
            switch step {
            case .conv(let layer): x = layer(x)
            case .maxpool: x = Ops.maxPool2x2(x)
            case .upsample(let mode): x = Ops.upsample2x(x, mode: mode)
            case .tap(let level): tapped[level] = x
            case .input, .merge: preconditionFailure("decoder op in the encoder")
            }
        }
        return FeatureSet(levels.map { level in
            // The builder checked that the encoder taps every declared level.
            guard let feature = tapped[level.name] else {
                preconditionFailure("the encoder never tapped level '\(level.name)'")
            }
            return (level.name, feature)
        })
    }

    /// Runs the decoder on (manipulated) features: the image in normalised space, before the
    /// output mode is applied, NCHW `[N, 3, H, W]` at the encoder input's size (`[N, 12, H, W]`
    /// colour-transform coefficients for `affine-difference`).
    ///
    /// - Precondition: `features` has every level the decoder reads, with the shapes `encode`
    ///   gives.
    public func decode(_ features: FeatureSet) -> Tensor {
        func feature(_ level: String) -> Tensor {
            guard let tensor = features[level] else {
                preconditionFailure("decode needs level '\(level)', which the features lack")
            }
            return tensor
        }

        var x = Tensor(zeros: [0])
        for step in decoderSteps {
            switch step {
            case .conv(let layer): x = layer(x)
            case .maxpool: x = Ops.maxPool2x2(x)
            case .upsample(let mode): x = Ops.upsample2x(x, mode: mode)
            case .input(let level): x = feature(level)
            case .merge(let level, .concat): x = Ops.concatChannels(x, feature(level))
            case .merge(let level, .add): x = Ops.add(x, feature(level))
            case .tap: preconditionFailure("encoder op in the decoder")
            }
        }
        return x
    }

    /// The edited photo in pixel space (unclamped) from the decoder's output, following the
    /// output mode: `denormalise(decoded)` for `image`, `denormalise(x̂ + decoded)` for
    /// `add-input`, `x + std · (decoded − baseline)` for `difference`, and
    /// `x + std · AffineColour.apply(decoded − baseline, to: x̂)` for `affine-difference`
    /// (x̂ the normalised photo).
    ///
    /// - Parameters:
    ///   - decoded: D(ψ(x) + λΔv), normalised space, `[N, decoderChannels, H, W]`.
    ///   - baseline: D(ψ(x)), required when `outputMode.needsBaseline`.
    ///   - photo: the padded photo, RGB in [0, 1], `[N, 3, H, W]`.
    public func finish(_ decoded: Tensor, baseline: Tensor?, photo: Tensor) -> Tensor {
        switch outputMode {
        case .image:
            return denormalise(decoded)
        case .addInput:
            return denormalise(Ops.add(normalise(photo), decoded))
        case .difference, .affineDifference:
            guard let baseline else {
                preconditionFailure("output mode \(outputMode.rawValue) needs D(ψ(x))")
            }
            var change = Ops.addScaled(decoded, baseline, scale: -1)
            if outputMode == .affineDifference {
                change = AffineColour.apply(change, to: normalise(photo))
            }
            let scaled = mapChannels(change) { value, c in value * std[c] }
            return Ops.add(photo, scaled)
        }
    }

    private func mapChannels(_ x: Tensor, _ transform: (Float, Int) -> Float) -> Tensor {
        precondition(x.rank == 4 && x.c == 3, "expected an NCHW RGB tensor, got \(x.shape)")
        var out = x
        let plane = x.h * x.w
        for n in 0..<x.n {
            for c in 0..<3 {
                let start = (n * 3 + c) * plane
                for i in start..<(start + plane) { out.data[i] = transform(x.data[i], c) }
            }
        }
        return out
    }
}
