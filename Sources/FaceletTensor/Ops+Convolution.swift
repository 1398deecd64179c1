extension Ops {
    /// Stride-1 "same" convolution with optional fused bias and ReLU.
    ///
    /// `x` is `[N, in, H, W]`, `weight` `[out, in, k, k]` with odd `k`, `bias` `[out]`; the
    /// result is `[N, out, H, W]`. Positions outside the image come from `padding` (`reflect`
    /// as PyTorch's `ReflectionPad2d(k / 2)` followed by an unpadded convolution). The product
    /// runs through OpenBLAS `sgemm` over bands of output rows, so the im2col buffer stays
    /// bounded (about 8 MiB) whatever the image size; `k = 1` needs no buffer at all.
    ///
    /// - Precondition: shapes as above, `in >= 1`, `out >= 1`; for `reflect` with `k = 3`,
    ///   `H >= 2` and `W >= 2` (in general `H, W > k / 2`).
    public static func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, padding: Padding,
                              relu: Bool = false) -> Tensor {
        conv2d(x, weight: weight, bias: bias, padding: padding, relu: relu,
               bandBudget: ConvolutionLayout.defaultBandBudget)
    }

    /// `conv2d` with an explicit band budget (floats per column buffer), so tests can force
    /// many bands on small images.
    static func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, padding: Padding,
                       relu: Bool, bandBudget: Int) -> Tensor {
        im2colConv2d(x, weight: weight, bias: bias, padding: padding, relu: relu,
                     bandBudget: bandBudget)
    }

    /// The banded im2col + sgemm convolution (any odd kernel).
    static func im2colConv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, padding: Padding,
                             relu: Bool, bandBudget: Int) -> Tensor {
        precondition(weight.rank == 4 && x.rank == 4 && weight.shape[1] == x.shape[1]
                        && weight.shape[2] == weight.shape[3] && weight.shape[0] >= 1
                        && x.shape[1] >= 1,
                     "conv2d: weight \(weight.shape) does not fit input \(x.shape)")
        let outChannels = weight.shape[0]
        if let bias {
            precondition(bias.count == outChannels,
                         "conv2d: bias has \(bias.count) elements, expected \(outChannels)")
        }
        let layout = ConvolutionLayout(inChannels: x.c, height: x.h, width: x.w,
                                       kernel: weight.shape[2], padding: padding,
                                       bandBudget: bandBudget)
        var out = Tensor(zeros: [x.n, outChannels, x.h, x.w])
        guard out.count > 0 else { return out }

        let plane = layout.plane
        let bandRows = layout.bandRows
        let biasValues = bias?.data ?? [Float](repeating: 0, count: outChannels)
        var column = [Float](repeating: 0, count: layout.kernel == 1 ? 0
                                : layout.patch * bandRows * layout.width)
        x.data.withUnsafeBufferPointer { input in
            weight.data.withUnsafeBufferPointer { weights in
                out.data.withUnsafeMutableBufferPointer { output in
                    column.withUnsafeMutableBufferPointer { columnBuffer in
                        for image in 0..<x.n {
                            let source = input.baseAddress! + image * layout.inChannels * plane
                            let target = output.baseAddress! + image * outChannels * plane
                            for firstRow in stride(from: 0, to: layout.height, by: bandRows) {
                                let rows = min(bandRows, layout.height - firstRow)
                                let span = rows * layout.width
                                let operand: UnsafePointer<Float>
                                let operandStride: Int
                                if layout.kernel == 1 {
                                    operand = source + firstRow * layout.width
                                    operandStride = plane
                                } else {
                                    layout.im2col(source, firstRow: firstRow, rows: rows,
                                                  into: columnBuffer.baseAddress!)
                                    operand = UnsafePointer(columnBuffer.baseAddress!)
                                    operandStride = span
                                }
                                let band = target + firstRow * layout.width
                                sgemm(m: outChannels, n: span, k: layout.patch,
                                      a: weights.baseAddress!, lda: layout.patch,
                                      b: operand, ldb: operandStride,
                                      beta: 0, c: band, ldc: plane)
                                addBias(biasValues, relu: relu, band: band, span: span,
                                        stride: plane)
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Adds `bias[o]` to row `o` of the band `[out, span]` (row stride `stride`), then clamps
    /// at zero when `relu` is set, while the band is still in cache.
    private static func addBias(_ bias: [Float], relu: Bool, band: UnsafeMutablePointer<Float>,
                                span: Int, stride: Int) {
        let target = SharedFloats(base: band)
        Parallel.forEachRange(bias.count, minimumChunk: max(1, (1 << 15) / max(1, span))) {
            channels in
            for o in channels {
                let row = target.base + o * stride
                let value = bias[o]
                if relu {
                    for i in 0..<span { row[i] = max(row[i] + value, 0) }
                } else if value != 0 {
                    for i in 0..<span { row[i] += value }
                }
            }
        }
    }
}
