import FaceletPackage
import FaceletTensor

/// How a photo is padded before the encoder so that both sides are multiples of the backbone's
/// `pad_multiple`, and where the photo sits in the padded image.
///
/// The extra rows are split between top and bottom (the odd one at the bottom), the extra
/// columns between left and right (the odd one at the right), so the photo stays centred.
/// Padding happens in pixel space, before normalisation: `zero` pads with black.
///
/// Reflection cannot pad a side by as many pixels as the photo has or more. Every side of at
/// least `⌈(pad_multiple + 2) / 3⌉` pixels (6 for a multiple of 16, 38 for 112) reflects; a
/// photo with a shorter side is padded by replicating its edge instead (the whole photo, so
/// both axes use one mode). Photos smaller than 2×2 are refused.
public struct InputPadding: Sendable, Equatable {
    /// Rows added above the photo.
    public let top: Int
    /// Columns added left of the photo.
    public let left: Int
    /// Rows added below the photo.
    public let bottom: Int
    /// Columns added right of the photo.
    public let right: Int
    /// The border mode actually used (the backbone's, or `replicate` for a tiny photo).
    public let mode: FaceletPackage.Padding
    /// The photo's width.
    public let width: Int
    /// The photo's height.
    public let height: Int

    /// The smallest photo side the editor accepts.
    public static let minimumSide = 2

    /// The padding of a `width` × `height` photo for the given `multiple` and `mode`.
    ///
    /// - Throws: `ModelError` `model.image_too_small` when a side is below `minimumSide`.
    public init(width: Int, height: Int, multiple: Int,
                mode: FaceletPackage.Padding) throws(ModelError) {
        precondition(multiple >= 1, "pad multiple must be positive")
        guard width >= Self.minimumSide, height >= Self.minimumSide else {
            throw .imageTooSmall(width: width, height: height)
        }
        let extraRows = (height + multiple - 1) / multiple * multiple - height
        let extraColumns = (width + multiple - 1) / multiple * multiple - width
        top = extraRows / 2
        bottom = extraRows - top
        left = extraColumns / 2
        right = extraColumns - left
        let fitsReflection = bottom < height && right < width
        self.mode = mode == .reflect && !fitsReflection ? .replicate : mode
        self.width = width
        self.height = height
    }

    /// The padded height.
    public var paddedHeight: Int { height + top + bottom }
    /// The padded width.
    public var paddedWidth: Int { width + left + right }

    /// Pads an NCHW tensor of the photo's size.
    func pad(_ x: Tensor) -> Tensor {
        let tensorMode: FaceletTensor.Padding
        switch mode {
        case .zero: tensorMode = .zero
        case .reflect: tensorMode = .reflect
        case .replicate: tensorMode = .replicate
        }
        return Ops.pad(x, top: top, left: left, bottom: bottom, right: right, mode: tensorMode)
    }

    /// Crops an NCHW tensor of the padded size back to the photo.
    func crop(_ x: Tensor) -> Tensor {
        Ops.crop(x, top: top, left: left, height: height, width: width)
    }
}
