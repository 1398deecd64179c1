import FaceletImaging
import FaceletPackage
import FaceletTensor

/// One photo prepared for one bank: ψ(x) and Δv computed once; each `render` re-runs only the
/// decoder.
///
/// A value; `Sendable`, so renders at several strengths may run concurrently.
public struct EditSession: Sendable {
    /// The backbone the session runs on.
    public let backbone: Backbone
    /// ψ(x) of the padded photo.
    public let features: FeatureSet
    /// Δv = bank(ψ(x)) on every level of the bank.
    public let delta: FeatureSet
    /// How the photo was padded.
    public let padding: InputPadding

    /// The bank's guided change, applied to every render (nil: the change as decoded).
    public let guide: GuidedChange?

    private let padded: Tensor
    private let baseline: Tensor?
    private let bankLevels: [String]

    init(backbone: Backbone, input: EncodedInput, delta: FeatureSet, bankLevels: [String],
         guide: GuidedChange?) {
        self.backbone = backbone
        self.features = input.features
        self.delta = delta
        self.padding = input.padding
        self.padded = input.padded
        self.baseline = input.baseline
        self.bankLevels = bankLevels
        self.guide = guide
    }

    /// The same photo prepared for another bank on the same backbone: ψ(x), the padding and
    /// (for the `difference` modes) D(ψ(x)) are reused, only Δv = bank(ψ(x)) is computed. This is
    /// what a hot swap costs an open session.
    ///
    /// - Throws: `ModelError` `model.backbone_mismatch` for a bank bound to another backbone.
    public func applying(_ bank: FaceletBank) throws(ModelError) -> EditSession {
        guard bank.backboneDigest == backbone.contentDigest else {
            throw .backboneMismatch(bank: bank.name, expected: bank.backboneDigest.description,
                                    got: backbone.contentDigest.description)
        }
        let input = EncodedInput(padding: padding, padded: padded, features: features,
                                 baseline: baseline)
        return EditSession(backbone: backbone, input: input, delta: bank.delta(features),
                           bankLevels: bank.levels, guide: bank.guide)
    }

    /// The photo's width.
    public var width: Int { padding.width }
    /// The photo's height.
    public var height: Int { padding.height }
    /// The levels the bank acts on.
    public var levels: [String] { bankLevels }

    /// The edited photo at strength λ: crop(denormalise(D(ψ + λ·Δv))) for the `image` mode
    /// (the normalised input is added first for `add-input`; for `difference` the photo is
    /// `x + std · (D(ψ + λ·Δv) − D(ψ))`, for `affine-difference` the colour transform of the
    /// difference applied to the photo; `Backbone.finish`), clamped to [0, 1], the photo's size.
    /// With the bank's `guide`, the change from the photo is first fitted to the photo's colours
    /// (`GuidedChange`).
    ///
    /// - Parameters:
    ///   - strength: λ; 0 gives exactly `Editor.reconstruct` of the photo. Any finite value
    ///     runs; callers check user input against the bank's `strength` range.
    ///   - levels: the levels whose Δv is applied (all of the bank's when nil); levels the bank
    ///     does not act on are ignored.
    /// - Precondition: `strength` is finite.
    public func render(strength: Double, levels: Set<String>? = nil) -> RGBImage {
        let decoded = decodeEdited(strength: strength, levels: levels)
        var image = finish(decoded)
        if let guide, strength != 0 {
            let change = Ops.addScaled(image, padded, scale: -1)
            image = Ops.add(padded, guide(change, guide: padded))
        }
        let cropped = padding.crop(image)
        // NaN fails `value > 0` and becomes 0.
        let pixels = cropped.data.map { value -> Float in value > 0 ? min(value, 1) : 0 }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// D(ψ + λ·Δv) in normalised space at the padded size, before the output mode is applied.
    ///
    /// - Precondition: `strength` is finite.
    public func decodeEdited(strength: Double, levels: Set<String>? = nil) -> Tensor {
        precondition(strength.isFinite, "strength must be finite, got \(strength)")
        let applied = delta.levels.contains { levels?.contains($0.name) ?? true }
        guard strength != 0, applied else {
            return baseline ?? backbone.decode(features)
        }
        let edited = features.adding(delta, scale: Float(strength), levels: levels)
        return backbone.decode(edited)
    }

    /// The padded photo in pixel space (unclamped) from the decoder's output.
    private func finish(_ decoded: Tensor) -> Tensor {
        backbone.finish(decoded, baseline: baseline, photo: padded)
    }
}
