import FaceletModel
import FaceletTensor

/// Renders D(ψ(x) + λΔv) for an arbitrary Δv (a bank's, the kNN baseline's) on a photo whose
/// sides are multiples of the backbone's pad multiple, following the backbone's output mode
/// exactly as `EditSession.render` does.
struct EditRenderer {
    let backbone: Backbone
    /// The photo, `[1, 3, H, W]` in [0, 1].
    let image: Tensor
    /// ψ(x).
    let features: FeatureSet
    /// D(ψ(x)) in normalised space.
    let baseline: Tensor

    /// The guided change applied to every edit (λ ≠ 0), as `EditSession.render` applies a
    /// bank's.
    let guide: GuidedChange?

    init(backbone: Backbone, image: Tensor, guide: GuidedChange? = nil) {
        self.backbone = backbone
        self.image = image
        self.guide = guide
        self.features = backbone.encode(image)
        self.baseline = backbone.decode(features)
    }

    /// The edited photo at strength λ, clamped to [0, 1] (λ = 0 or a nil Δv: the
    /// reconstruction path).
    func render(delta: FeatureSet?, strength: Float) -> Tensor {
        guard let delta, strength != 0 else {
            return clamp(backbone.finish(baseline, baseline: baseline, photo: image))
        }
        return clamp(finish(backbone.decode(features.adding(delta, scale: strength))))
    }

    /// denormalise(D(ψ(x))) alone, clamped: the decoder's own reconstruction; nil for
    /// `affine-difference`, whose decoder outputs a colour transform, not an image.
    func decoderAlone() -> Tensor? {
        switch backbone.outputMode {
        case .affineDifference: nil
        case .image, .addInput, .difference: clamp(backbone.denormalise(baseline))
        }
    }

    private func finish(_ decoded: Tensor) -> Tensor {
        let edited = backbone.finish(decoded, baseline: baseline, photo: image)
        guard let guide else { return edited }
        return Ops.add(image, guide(Ops.addScaled(edited, image, scale: -1), guide: image))
    }

    private func clamp(_ x: Tensor) -> Tensor {
        var out = x
        for i in out.data.indices { out.data[i] = min(1, max(0, out.data[i])) }
        return out
    }
}
