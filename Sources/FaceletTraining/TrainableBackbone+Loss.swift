import FaceletModel
import FaceletTensor

/// The value of the decoder's training objective on one batch, term by term.
public struct DecoderLoss: Sendable, Equatable, Codable {
    /// The weighted sum: `pixelWeight · pixel + featureWeight · Σ features`.
    public var total: Float
    /// The pixel term: mean squared error between the reconstruction and the target image,
    /// in normalised space (0 when the objective has no pixel term).
    public var pixel: Float
    /// The feature terms, one per level: mean squared error between E(reconstruction) and the
    /// target feature at that level (before `featureWeight`).
    public var features: [Float]
}

extension TrainableBackbone {
    /// The image the network reconstructs from the decoder's output `decoded` for the input
    /// `images` (both normalised), according to the architecture's output mode: the decoder's
    /// output itself for `image` and `difference` (whose decoder is trained for plain
    /// reconstruction), `decoded + images` for `add-input`, and for `affine-difference` the
    /// decoder's colour transform applied to the images, `images + A·images + b`.
    public func reconstruction(decoded: Tensor, images: Tensor) -> Tensor {
        switch architecture.output {
        case .image, .difference: decoded
        case .addInput: Ops.add(decoded, images)
        case .affineDifference: Ops.add(images, AffineColour.apply(decoded, to: images))
        }
    }

    /// The gradient with respect to the decoder's output of a loss whose gradient with respect
    /// to `reconstruction(decoded:images:)` is `gradient`: the same tensor for every mode but
    /// `affine-difference`, whose reconstruction is linear in the coefficients.
    public func decodedGradient(_ gradient: Tensor, images: Tensor) -> Tensor {
        switch architecture.output {
        case .image, .difference, .addInput: gradient
        case .affineDifference: AffineColour.coefficientGradient(gradient, image: images)
        }
    }

    /// The change an edit makes, normalised: from the decoder's outputs for the edited and the
    /// unedited features, `after − before`, or for `affine-difference` the colour transform of
    /// that difference applied to `images` (what `Backbone.finish` adds to the photo).
    public func editChange(after: Tensor, before: Tensor, images: Tensor) -> Tensor {
        let difference = Ops.addScaled(after, before, scale: -1)
        switch architecture.output {
        case .image, .difference, .addInput: return difference
        case .affineDifference: return AffineColour.apply(difference, to: images)
        }
    }

    /// The loss of Eq. 4 on a normalised image batch, and its gradients with respect to the
    /// decoder's parameters (in the order of `decoderParameters`), with the reconstruction.
    ///
    /// `L = ‖r − x‖² + ω Σ_l ‖E_l(x) − E_l(r)‖²` with `r` the reconstruction of x from ψ(x)
    /// (`reconstruction(decoded:images:)`), each squared norm a mean over the elements, and the
    /// encoder frozen (the feature term's gradient flows back through it to `r`).
    ///
    /// - Parameters:
    ///   - images: normalised images `[N, 3, H, W]`, H and W multiples of the deepest stride.
    ///   - featureWeight: ω; 0 skips the second encoder pass.
    public func reconstructionLoss(_ images: Tensor, featureWeight: Float)
        -> (loss: DecoderLoss, gradients: [Tensor], reconstruction: Tensor) {
        let psi = encode(images)
        return objective(images: images, decodeFrom: psi, featureTargets: psi, pixelWeight: 1,
                         featureWeight: featureWeight)
    }

    /// A general decoder objective: decodes `decodeFrom`, forms the reconstruction `r` for
    /// `images`, and returns `pixelWeight · ‖r − images‖² + featureWeight · Σ_l ‖E_l(r) −
    /// featureTargets_l‖²` (means over elements) with its gradients with respect to the
    /// decoder's parameters, in the order of `decoderParameters`, and the reconstruction `r`
    /// (normalised).
    ///
    /// With `decodeFrom = featureTargets = ψ(images)` and `pixelWeight = 1` this is Eq. 4.
    public func objective(images: Tensor, decodeFrom: [Tensor], featureTargets: [Tensor],
                          pixelWeight: Float, featureWeight: Float)
        -> (loss: DecoderLoss, gradients: [Tensor], reconstruction: Tensor) {
        let trace = decodeForBackward(decodeFrom)
        let reconstructed = reconstruction(decoded: trace.output, images: images)
        precondition(reconstructed.shape == images.shape,
                     "the decoder's output \(reconstructed.shape) does not match the input "
                        + "\(images.shape)")

        var gradient = Tensor(zeros: reconstructed.shape)
        var pixelLoss: Float = 0
        if pixelWeight != 0 {
            let (loss, pixelGradient) = Gradients.meanSquaredError(reconstructed, images)
            pixelLoss = loss
            gradient = Ops.addScaled(gradient, pixelGradient, scale: pixelWeight)
        }

        var featureLosses = [Float](repeating: 0, count: featureTargets.count)
        if featureWeight != 0 {
            let encoderTrace = encodeForBackward(reconstructed)
            var levelGradients: [Tensor?] = []
            for (level, target) in featureTargets.enumerated() {
                let (loss, levelGradient) = Gradients.meanSquaredError(
                    encoderTrace.levels[level], target)
                featureLosses[level] = loss
                levelGradients.append(Self.scaled(levelGradient, by: featureWeight))
            }
            let throughEncoder = encoderInputGradient(encoderTrace,
                                                      levelGradients: levelGradients)
            gradient = Ops.add(gradient, throughEncoder)
        }

        let gradients = decoderParameterGradients(
            trace, outputGradient: decodedGradient(gradient, images: images))
        let total = pixelWeight * pixelLoss + featureWeight * featureLosses.reduce(0, +)
        let loss = DecoderLoss(total: total, pixel: pixelLoss, features: featureLosses)
        return (loss, gradients, reconstructed)
    }

    static func scaled(_ x: Tensor, by factor: Float) -> Tensor {
        var out = x
        for i in out.data.indices { out.data[i] *= factor }
        return out
    }
}
