/// A convolution layer's weights made ready for repeated use: the weight and bias, plus the
/// Winograd filter transforms of a 3×3 kernel, computed once.
///
/// A network builds one per layer when it loads its weights and passes it to
/// `Ops.conv2d(_:prepared:padding:relu:)` on every run. For 3×3 kernels the value holds the
/// transformed filters, `36 * out * in` floats (4x the weight).
public struct PreparedConvolution: Sendable {
    /// The weight, `[out, in, k, k]`.
    public let weight: Tensor
    /// The bias, `[out]` (zeros when the layer has none).
    public let bias: Tensor
    /// `U_ξ = G g Gᵀ` laid out `[36, out, in]`, for 3×3 kernels; empty otherwise.
    let winogradFilters: [Float]

    /// The input channel count.
    public var inChannels: Int { weight.shape[1] }
    /// The output channel count.
    public var outChannels: Int { weight.shape[0] }
    /// The kernel size (odd).
    public var kernel: Int { weight.shape[2] }

    /// Whether `Ops.conv2d(_:prepared:padding:relu:)` takes the Winograd path on an image of
    /// `height × width` (otherwise banded im2col + sgemm).
    public func usesWinograd(height: Int, width: Int) -> Bool {
        ConvolutionPath.choose(kernel: kernel, inChannels: inChannels, outChannels: outChannels,
                               height: height, width: width) == .winograd
    }

    /// Prepares `weight` (`[out, in, k, k]`, odd `k`) and `bias` (`[out]`, or nil for none).
    ///
    /// - Precondition: the shapes above, `in >= 1`, `out >= 1`.
    public init(weight: Tensor, bias: Tensor?) {
        precondition(weight.rank == 4 && weight.shape[2] == weight.shape[3]
                        && weight.shape[2] % 2 == 1 && weight.shape[0] >= 1
                        && weight.shape[1] >= 1,
                     "PreparedConvolution: weight \(weight.shape) is not [out, in, k, k]")
        let outChannels = weight.shape[0]
        if let bias {
            precondition(bias.count == outChannels, "PreparedConvolution: bias has "
                            + "\(bias.count) elements, expected \(outChannels)")
        }
        self.weight = weight
        self.bias = bias.map { Tensor(shape: [outChannels], data: $0.data) }
            ?? Tensor(zeros: [outChannels])
        guard weight.shape[2] == 3 else {
            winogradFilters = []
            return
        }
        let inChannels = weight.shape[1]
        var filters = [Float](repeating: 0, count: Winograd.positions * outChannels * inChannels)
        weight.data.withUnsafeBufferPointer { w in
            filters.withUnsafeMutableBufferPointer { u in
                Winograd.transformFilters(w.baseAddress!, outChannels: outChannels,
                                          inChannels: inChannels, into: u.baseAddress!)
            }
        }
        winogradFilters = filters
    }
}

/// Which kernel computes a convolution.
enum ConvolutionPath: Sendable {
    /// Winograd F(4×4, 3×3) when it pays (3×3 kernel, enough channels and pixels), else im2col.
    case automatic
    /// Winograd F(4×4, 3×3) (3×3 kernels only).
    case winograd
    /// Banded im2col + sgemm.
    case im2col

    /// The path `automatic` picks for a layer: Winograd for 3×3 kernels with at least 8 input
    /// and output channels on images of at least 8×8; im2col (exact up to sgemm rounding)
    /// for the first layer's 3 channels, narrow layers and tiny images.
    static func choose(kernel: Int, inChannels: Int, outChannels: Int, height: Int,
                       width: Int) -> ConvolutionPath {
        guard kernel == 3 else { return .im2col }
        let pays = inChannels >= 8 && height >= 8 && width >= 8
        return pays ? .winograd : .im2col
    }
}
