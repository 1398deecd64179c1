// Glibc brings the libm link that Double.squareRoot needs in debug builds.
import Glibc

extension Ops {
    /// Batch normalisation with given statistics, per channel `c`:
    /// `y = (x - mean[c]) / sqrt(variance[c] + epsilon) * gamma[c] + beta[c]`.
    ///
    /// - Precondition: `x` rank 4; `gamma`, `beta`, `mean`, `variance` each hold C elements.
    public static func batchNorm(_ x: Tensor, gamma: Tensor, beta: Tensor, mean: Tensor,
                                 variance: Tensor, epsilon: Float) -> Tensor {
        let channels = x.c
        for (name, t) in [("gamma", gamma), ("beta", beta), ("mean", mean),
                          ("variance", variance)] {
            precondition(t.count == channels,
                         "batchNorm: \(name) has \(t.count) elements, expected \(channels)")
        }
        var scale = [Float](repeating: 0, count: channels)
        var shift = [Float](repeating: 0, count: channels)
        for c in 0..<channels {
            let inverse = 1 / (Double(variance.data[c]) + Double(epsilon)).squareRoot()
            scale[c] = Float(Double(gamma.data[c]) * inverse)
            shift[c] = Float(Double(beta.data[c])
                                - Double(mean.data[c]) * Double(gamma.data[c]) * inverse)
        }
        return scaleAndShiftChannels(x, scale: scale, shift: shift)
    }

    /// Batch normalisation with the statistics of `x` itself: per channel, the mean and the
    /// biased variance over N, H and W (what PyTorch's `BatchNorm2d` does in training mode).
    ///
    /// - Precondition: `x` rank 4; `gamma`, `beta` each hold C elements.
    public static func instanceBatchNorm(_ x: Tensor, gamma: Tensor, beta: Tensor,
                                         epsilon: Float) -> Tensor {
        let (batch, channels, plane) = (x.n, x.c, x.h * x.w)
        precondition(gamma.count == channels && beta.count == channels,
                     "instanceBatchNorm: gamma/beta need \(channels) elements")
        var mean = Tensor(zeros: [channels])
        var variance = Tensor(zeros: [channels])
        let total = Double(batch * plane)
        x.data.withUnsafeBufferPointer { input in
            for c in 0..<channels where total > 0 {
                var sum = 0.0
                for n in 0..<batch {
                    let source = input.baseAddress! + (n * channels + c) * plane
                    for i in 0..<plane { sum += Double(source[i]) }
                }
                let average = sum / total
                var squares = 0.0
                for n in 0..<batch {
                    let source = input.baseAddress! + (n * channels + c) * plane
                    for i in 0..<plane {
                        let d = Double(source[i]) - average
                        squares += d * d
                    }
                }
                mean.data[c] = Float(average)
                variance.data[c] = Float(squares / total)
            }
        }
        return batchNorm(x, gamma: gamma, beta: beta, mean: mean, variance: variance,
                         epsilon: epsilon)
    }

    /// `x[n, c] * scale[c] + shift[c]` for every plane.
    static func scaleAndShiftChannels(_ x: Tensor, scale: [Float], shift: [Float]) -> Tensor {
        let (channels, plane) = (x.c, x.h * x.w)
        var out = x
        out.data.withUnsafeMutableBufferPointer { buffer in
            let target = SharedFloats(base: buffer.baseAddress!)
            Parallel.forEachRange(x.n * channels, minimumChunk: max(1, (1 << 15) / max(1, plane))) {
                range in
                for planeIndex in range {
                    let (a, b) = (scale[planeIndex % channels], shift[planeIndex % channels])
                    let p = target.base + planeIndex * plane
                    for i in 0..<plane { p[i] = p[i] * a + b }
                }
            }
        }
        return out
    }
}
