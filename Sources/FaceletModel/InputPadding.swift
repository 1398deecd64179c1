import FaceletPackage
import FaceletTensor

/// How a photo is padded before the encoder so that both sides are multiples of the backbone's
/// `pad_multiple`, and where the photo sits in the padded image.
///
/// The extra rows are split between top and bottom (the odd one at the bottom), the extra
/// columns between left and right (the odd one at the right), so the photo stays centred.
/// Padding happens in pixel space, before normalisation: `zero` pads with black, `mean` with
/// the normalisation's mean colour, which normalises to exactly zero (what the original release
/// does by zero-padding its normalised tensor).
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
    /// The pixel value per channel that `mean` mode fills with (empty for the other modes).
    public let fill: [Float]

    /// The smallest photo side the editor accepts.
    public static let minimumSide = 2

    /// The padding of a `width` × `height` photo for the given `multiple` and `mode`.
    ///
    /// `mean` is the per-channel colour that `mean` mode fills with (three values, RGB in
    /// [0, 1]); the other modes ignore it.
    /// - Throws: `ModelError` `model.image_too_small` when a side is below `minimumSide`.
    public init(width: Int, height: Int, multiple: Int,
                mode: FaceletPackage.Padding, mean: [Double] = []) throws(ModelError) {
        precondition(multiple >= 1, "pad multiple must be positive")
        precondition(mode != .mean || mean.count == 3, "mean padding needs three mean values")
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
        // The same Float conversion as the backbone's normalisation, so the border normalises
        // to exactly 0.
        self.fill = mode == .mean ? mean.map { Float($0) } : []
    }

    /// The padding for `backbone`'s input description.
    public init(width: Int, height: Int, backbone: Backbone) throws(ModelError) {
        let input = backbone.architecture.input
        try self.init(width: width, height: height, multiple: input.padMultiple,
                      mode: input.padMode, mean: input.mean)
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
        case .mean: return padWithFill(x)
        }
        return Ops.pad(x, top: top, left: left, bottom: bottom, right: right, mode: tensorMode)
    }

    /// Pads with `fill[c]` in channel `c`: zero padding, then the border overwritten.
    private func padWithFill(_ x: Tensor) -> Tensor {
        var y = Ops.pad(x, top: top, left: left, bottom: bottom, right: right, mode: .zero)
        let (batch, channels, paddedHeight, paddedWidth) = (y.n, y.c, y.h, y.w)
        y.data.withUnsafeMutableBufferPointer { data in
            for n in 0 ..< batch {
                for c in 0 ..< channels {
                    let value = fill[c]
                    let plane = (n * channels + c) * paddedHeight * paddedWidth
                    for row in 0 ..< paddedHeight {
                        let start = plane + row * paddedWidth
                        if row < top || row >= top + height {
                            for i in start ..< start + paddedWidth { data[i] = value }
                        } else {
                            for i in start ..< start + left { data[i] = value }
                            for i in start + left + width ..< start + paddedWidth {
                                data[i] = value
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    /// Crops an NCHW tensor of the padded size back to the photo.
    func crop(_ x: Tensor) -> Tensor {
        Ops.crop(x, top: top, left: left, height: height, width: width)
    }
}
