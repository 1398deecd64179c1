import FaceletImaging
import FaceletPackage
import FaceletTensor

/// Edits photos with facelet banks on one backbone: pads, encodes once, applies Δv at any
/// strength, decodes, and crops back.
///
/// `Sendable`; many editors (or one) may serve many threads.
public struct Editor: Sendable {
    /// The backbone every edit runs on.
    public let backbone: Backbone

    /// An editor on `backbone`.
    public init(backbone: Backbone) {
        self.backbone = backbone
    }

    /// Prepares a photo for editing with `bank`: pads it, encodes ψ(x) once, computes
    /// Δv = bank(ψ(x)) once, and (for the `difference` output mode) decodes D(ψ(x)) once, so
    /// each `render` only re-runs the decoder.
    ///
    /// - Throws: `ModelError` `model.image-too-small` for a photo under 2×2,
    ///   `model.backbone-mismatch` for a bank bound to another backbone.
    public func prepare(_ image: RGBImage, bank: FaceletBank) throws(ModelError) -> EditSession {
        guard bank.backboneDigest == backbone.contentDigest else {
            throw .backboneMismatch(bank: bank.name, expected: bank.backboneDigest.description,
                                    got: backbone.contentDigest.description)
        }
        let input = try encodeInput(image)
        let delta = bank.delta(input.features)
        return EditSession(backbone: backbone, input: input, delta: delta,
                           bankLevels: bank.levels)
    }

    /// The photo passed through the backbone without any change (the λ = 0 path): the same
    /// pixels `render(strength: 0)` of any session of this photo gives.
    ///
    /// In the `difference` output mode this is the photo itself.
    ///
    /// - Throws: `ModelError` `model.image-too-small` for a photo under 2×2.
    public func reconstruct(_ image: RGBImage) throws(ModelError) -> RGBImage {
        let input = try encodeInput(image)
        let session = EditSession(backbone: backbone, input: input, delta: FeatureSet(),
                                  bankLevels: [])
        return session.render(strength: 0)
    }

    /// Pads and encodes a photo, and decodes D(ψ(x)) when the output mode needs it.
    func encodeInput(_ image: RGBImage) throws(ModelError) -> EncodedInput {
        let padding = try InputPadding(width: image.width, height: image.height,
                                       multiple: backbone.padMultiple,
                                       mode: backbone.architecture.input.padMode)
        let photo = Tensor(shape: [1, 3, image.height, image.width], data: image.pixels)
        let padded = padding.pad(photo)
        let features = backbone.encode(padded)
        let baseline = backbone.outputMode == .difference ? backbone.decode(features) : nil
        return EncodedInput(padding: padding, padded: padded, features: features,
                            baseline: baseline)
    }
}

/// A photo after padding and encoding.
struct EncodedInput: Sendable {
    /// How the photo was padded.
    let padding: InputPadding
    /// The padded photo, RGB in [0, 1], `[1, 3, Hp, Wp]`.
    let padded: Tensor
    /// ψ(x) of the padded photo.
    let features: FeatureSet
    /// D(ψ(x)), kept for the `difference` output mode only.
    let baseline: Tensor?
}
