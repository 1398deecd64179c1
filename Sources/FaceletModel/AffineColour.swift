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
                    forEachRow(images: image.n, plane: plane) { row, offset, terms in
                        for p in 0..<plane { y[row + p] = k[offset + p] }
                        for (matrix, colour) in terms {
                            for p in 0..<plane { y[row + p] += k[matrix + p] * x[colour + p] }
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
                    forEachRow(images: image.n, plane: plane) { row, offset, terms in
                        for p in 0..<plane { k[offset + p] = g[row + p] }
                        for (matrix, colour) in terms {
                            for p in 0..<plane { k[matrix + p] = g[row + p] * x[colour + p] }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Visits output row i of every image: the start of its plane in a `[N, 3, H, W]` tensor,
    /// the start of b_i's plane in the coefficients, and for j = 0, 1, 2 the starts of A[i][j]'s
    /// plane and of colour j's plane.
    private static func forEachRow(images: Int, plane: Int,
                                   _ body: (Int, Int, [(matrix: Int, colour: Int)]) -> Void) {
        for n in 0..<images {
            let coefficientBase = n * channels * plane
            let imageBase = n * 3 * plane
            for i in 0..<3 {
                let terms = (0..<3).map { j in
                    (matrix: coefficientBase + (3 * i + j) * plane, colour: imageBase + j * plane)
                }
                body(imageBase + i * plane, coefficientBase + (9 + i) * plane, terms)
            }
        }
    }

    private static func checkShapes(_ coefficients: Tensor, _ image: Tensor) {
        precondition(image.rank == 4 && image.c == 3 && coefficients.rank == 4
                        && coefficients.shape == [image.n, channels, image.h, image.w],
                     "expected [N, 12, H, W] coefficients for a [N, 3, H, W] image, got "
                        + "\(coefficients.shape) and \(image.shape)")
    }
}
