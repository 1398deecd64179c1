/// The forward operators of the network. All image tensors are NCHW float32.
public enum Ops {}

extension Ops {
    /// `max(x, 0)` element-wise.
    public static func relu(_ x: Tensor) -> Tensor {
        var out = x
        out.data.withUnsafeMutableBufferPointer { buffer in
            let shared = SharedFloats(base: buffer.baseAddress!)
            Parallel.forEachRange(buffer.count) { range in
                for i in range where !(shared.base[i] > 0) { shared.base[i] = 0 }
            }
        }
        return out
    }

    /// `a + b` element-wise.
    ///
    /// - Precondition: equal shapes.
    public static func add(_ a: Tensor, _ b: Tensor) -> Tensor {
        addScaled(a, b, scale: 1)
    }

    /// `a + scale * b` element-wise.
    ///
    /// - Precondition: equal shapes.
    public static func addScaled(_ a: Tensor, _ b: Tensor, scale: Float) -> Tensor {
        precondition(a.shape == b.shape, "add: shapes \(a.shape) and \(b.shape) differ")
        var out = a
        out.data.withUnsafeMutableBufferPointer { outBuffer in
            b.data.withUnsafeBufferPointer { bBuffer in
                let target = SharedFloats(base: outBuffer.baseAddress!)
                let source = SharedConstFloats(base: bBuffer.baseAddress!)
                Parallel.forEachRange(outBuffer.count) { range in
                    for i in range { target.base[i] += scale * source.base[i] }
                }
            }
        }
        return out
    }

    /// Concatenates two NCHW tensors along channels: `b`'s channels follow `a`'s.
    ///
    /// - Precondition: both rank 4 with equal N, H and W.
    public static func concatChannels(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.rank == 4 && b.rank == 4 && a.n == b.n && a.h == b.h && a.w == b.w,
                     "concatChannels: shapes \(a.shape) and \(b.shape) do not match in N, H, W")
        let plane = a.h * a.w
        let aBlock = a.c * plane
        let bBlock = b.c * plane
        var data = [Float]()
        data.reserveCapacity(a.count + b.count)
        for n in 0..<a.n {
            data.append(contentsOf: a.data[(n * aBlock)..<((n + 1) * aBlock)])
            data.append(contentsOf: b.data[(n * bBlock)..<((n + 1) * bBlock)])
        }
        return Tensor(shape: [a.n, a.c + b.c, a.h, a.w], data: data)
    }

    /// The per-pixel sum of squares over channels: `[N, 1, H, W]` with `H = Σ_k x_k²`
    /// (the heat map of Eq. 8 when `x` is a feature difference).
    ///
    /// - Precondition: rank 4.
    public static func sumOfSquaresOverChannels(_ x: Tensor) -> Tensor {
        let (batch, channels, plane) = (x.n, x.c, x.h * x.w)
        var out = Tensor(zeros: [batch, 1, x.h, x.w])
        x.data.withUnsafeBufferPointer { input in
            out.data.withUnsafeMutableBufferPointer { output in
                for n in 0..<batch {
                    let target = output.baseAddress! + n * plane
                    for c in 0..<channels {
                        let source = input.baseAddress! + (n * channels + c) * plane
                        for i in 0..<plane { target[i] += source[i] * source[i] }
                    }
                }
            }
        }
        return out
    }
}
