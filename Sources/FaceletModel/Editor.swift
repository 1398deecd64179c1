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
    /// The largest photo (width × height, before padding) the editor accepts. Activations
    /// grow with the photo (a full-width VGG-19 keeps 64 float channels at full resolution,
    /// about 1 GiB for 4 megapixels), so larger photos are refused rather than exhausting
    /// memory.
    public let maximumPixels: Int

    /// The default `maximumPixels`: 4 megapixels (2048 × 2048).
    public static let defaultMaximumPixels = 2048 * 2048

    /// An editor on `backbone` that accepts photos of up to `maximumPixels` pixels.
    public init(backbone: Backbone, maximumPixels: Int = Editor.defaultMaximumPixels) {
        precondition(maximumPixels >= 4, "maximumPixels must allow at least a 2x2 photo")
        self.backbone = backbone
        self.maximumPixels = maximumPixels
    }

    /// Prepares a photo for editing with `bank`: pads it, encodes ψ(x) once, computes
    /// Δv = bank(ψ(x)) once, and (for the `difference` output modes) decodes D(ψ(x)) once, so
    /// each `render` only re-runs the decoder.
    ///
    /// - Throws: `ModelError` `model.image_too_small` for a photo under 2×2,
    ///   `model.image_too_large` above `maximumPixels`, `model.backbone_mismatch` for a bank
    ///   bound to another backbone.
    public func prepare(_ image: RGBImage, bank: FaceletBank) throws(ModelError) -> EditSession {
        guard bank.backboneDigest == backbone.contentDigest else {
            throw .backboneMismatch(bank: bank.name, expected: bank.backboneDigest.description,
                                    got: backbone.contentDigest.description)
        }
        let input = try encodeInput(image)
        let delta = bank.delta(input.features)
        return EditSession(backbone: backbone, input: input, delta: delta,
                           bankLevels: bank.levels, guide: bank.guide)
    }

    /// The photo passed through the backbone without any change (the λ = 0 path): the same
    /// pixels `render(strength: 0)` of any session of this photo gives.
    ///
    /// In the `difference` and `affine-difference` output modes this is the photo itself.
    ///
    /// - Throws: `ModelError` `model.image_too_small` for a photo under 2×2,
    ///   `model.image_too_large` above `maximumPixels`.
    public func reconstruct(_ image: RGBImage) throws(ModelError) -> RGBImage {
        let input = try encodeInput(image)
        let session = EditSession(backbone: backbone, input: input, delta: FeatureSet(),
                                  bankLevels: [], guide: nil)
        return session.render(strength: 0)
    }

    /// Pads and encodes a photo, and decodes D(ψ(x)) when the output mode needs it.
    func encodeInput(_ image: RGBImage) throws(ModelError) -> EncodedInput {
        guard image.width * image.height <= maximumPixels else {
            throw .imageTooLarge(width: image.width, height: image.height, limit: maximumPixels)
        }
        let padding = try InputPadding(width: image.width, height: image.height,
                                       backbone: backbone)
        let photo = Tensor(shape: [1, 3, image.height, image.width], data: image.pixels)
        let padded = padding.pad(photo)
        let features = backbone.encode(padded)
        let baseline = backbone.outputMode.needsBaseline ? backbone.decode(features) : nil
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
    /// D(ψ(x)), kept for the `difference` and `affine-difference` output modes only.
    let baseline: Tensor?
}
