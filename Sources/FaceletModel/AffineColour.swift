import FaceletTensor

/// The per-pixel colour transform of the `affine-difference` output mode.
///
/// A coefficient tensor is NCHW `[N, 12, H, W]`: at each pixel, a 3 × 3 matrix A in channels
/// 0–8 (row-major: `A[i][j]` is channel `3i + j`) and an offset b in channels 9–11. Applied to
/// an image `x` (`[N, 3, H, W]`, normalised space), it gives `A·x + b` per pixel.
public enum AffineColour {
    /// The channels of a coefficient tensor.
    public static let channels = 12

    /// `A·x + b` at every pixel, `[N, 3, H, W]`.
    ///
    /// - Precondition: `coefficients` is `[N, 12, H, W]` and `image` `[N, 3, H, W]`.
    public static func apply(_ coefficients: Tensor, to image: Tensor) -> Tensor {
        checkShapes(coefficients, image)
        let plane = image.h * image.w
        var out = Tensor(zeros: image.shape)
        coefficients.data.withUnsafeBufferPointer { k in
            image.data.withUnsafeBufferPointer { x in
                out.data.withUnsafeMutableBufferPointer { y in
                    for n in 0..<image.n {
                        let kBase = n * channels * plane
                        let xBase = n * 3 * plane
                        for i in 0..<3 {
                            let yRow = xBase + i * plane
                            let bRow = kBase + (9 + i) * plane
                            for p in 0..<plane { y[yRow + p] = k[bRow + p] }
                            for j in 0..<3 {
                                let aRow = kBase + (3 * i + j) * plane
                                let xRow = xBase + j * plane
                                for p in 0..<plane { y[yRow + p] += k[aRow + p] * x[xRow + p] }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// The gradient with respect to the coefficients of a loss whose gradient with respect to
    /// `apply(coefficients, to: image)` is `outputGradient` (`[N, 3, H, W]`): `g_i · x_j` for
    /// `A[i][j]`, `g_i` for `b_i`. `apply` is linear in the coefficients, so this does not
    /// depend on them.
    ///
    /// - Precondition: `outputGradient` and `image` are `[N, 3, H, W]`.
    public static func coefficientGradient(_ outputGradient: Tensor, image: Tensor) -> Tensor {
        precondition(outputGradient.shape == image.shape && image.rank == 4 && image.c == 3,
                     "expected two [N, 3, H, W] tensors, got \(outputGradient.shape) and "
                        + "\(image.shape)")
        let plane = image.h * image.w
        var out = Tensor(zeros: [image.n, channels, image.h, image.w])
        outputGradient.data.withUnsafeBufferPointer { g in
            image.data.withUnsafeBufferPointer { x in
                out.data.withUnsafeMutableBufferPointer { k in
                    for n in 0..<image.n {
                        let kBase = n * channels * plane
                        let xBase = n * 3 * plane
                        for i in 0..<3 {
                            let gRow = xBase + i * plane
                            let bRow = kBase + (9 + i) * plane
                            for p in 0..<plane { k[bRow + p] = g[gRow + p] }
                            for j in 0..<3 {
                                let aRow = kBase + (3 * i + j) * plane
                                let xRow = xBase + j * plane
                                for p in 0..<plane { k[aRow + p] = g[gRow + p] * x[xRow + p] }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    private static func checkShapes(_ coefficients: Tensor, _ image: Tensor) {
        precondition(image.rank == 4 && image.c == 3 && coefficients.rank == 4
                        && coefficients.shape == [image.n, channels, image.h, image.w],
                     "expected [N, 12, H, W] coefficients for a [N, 3, H, W] image, got "
                        + "\(coefficients.shape) and \(image.shape)")
    }
}
