extension Ops {
    /// 2x2 max pooling with stride 2: `[N, C, H, W] -> [N, C, H / 2, W / 2]`, rounding down, so
    /// an odd last row or column is dropped.
    ///
    /// - Precondition: rank 4.
    public static func maxPool2x2(_ x: Tensor) -> Tensor {
        let (height, width) = (x.h, x.w)
        let (outHeight, outWidth) = (height / 2, width / 2)
        let planes = x.n * x.c
        var out = Tensor(zeros: [x.n, x.c, outHeight, outWidth])
        guard out.count > 0 else { return out }
        x.data.withUnsafeBufferPointer { input in
            out.data.withUnsafeMutableBufferPointer { output in
                let source = SharedConstFloats(base: input.baseAddress!)
                let target = SharedFloats(base: output.baseAddress!)
                Parallel.forEachRange(planes, minimumChunk: max(1, (1 << 14) / (height * width))) {
                    range in
                    for plane in range {
                        let src = source.base + plane * height * width
                        let dst = target.base + plane * outHeight * outWidth
                        for oy in 0..<outHeight {
                            let row0 = src + 2 * oy * width
                            let row1 = row0 + width
                            for ox in 0..<outWidth {
                                let a = max(row0[2 * ox], row0[2 * ox + 1])
                                let b = max(row1[2 * ox], row1[2 * ox + 1])
                                dst[oy * outWidth + ox] = max(a, b)
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// 2x upsampling: `[N, C, H, W] -> [N, C, 2H, 2W]`.
    ///
    /// `bilinear` follows PyTorch's `align_corners=True`.
    /// - Precondition: rank 4.
    public static func upsample2x(_ x: Tensor, mode: UpsampleMode) -> Tensor {
        let (height, width) = (x.h, x.w)
        let (outHeight, outWidth) = (2 * height, 2 * width)
        let planes = x.n * x.c
        var out = Tensor(zeros: [x.n, x.c, outHeight, outWidth])
        guard out.count > 0 else { return out }
        let rows = BilinearAxis(inputSize: height, outputSize: outHeight)
        let columns = BilinearAxis(inputSize: width, outputSize: outWidth)
        x.data.withUnsafeBufferPointer { input in
            out.data.withUnsafeMutableBufferPointer { output in
                let source = SharedConstFloats(base: input.baseAddress!)
                let target = SharedFloats(base: output.baseAddress!)
                Parallel.forEachRange(planes, minimumChunk: max(1, (1 << 13) / (height * width))) {
                    range in
                    for plane in range {
                        let src = source.base + plane * height * width
                        let dst = target.base + plane * outHeight * outWidth
                        switch mode {
                        case .nearest:
                            for oy in 0..<outHeight {
                                let row = src + (oy / 2) * width
                                let outRow = dst + oy * outWidth
                                for ox in 0..<outWidth { outRow[ox] = row[ox / 2] }
                            }
                        case .bilinear:
                            for oy in 0..<outHeight {
                                let (y0, y1, fy) = rows.taps[oy]
                                let row0 = src + y0 * width
                                let row1 = src + y1 * width
                                let outRow = dst + oy * outWidth
                                for ox in 0..<outWidth {
                                    let (x0, x1, fx) = columns.taps[ox]
                                    let top = row0[x0] + fx * (row0[x1] - row0[x0])
                                    let bottom = row1[x0] + fx * (row1[x1] - row1[x0])
                                    outRow[ox] = top + fy * (bottom - top)
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}

/// The two source samples and the weight of the second for each output position of one axis
/// of an `align_corners=True` bilinear resize.
struct BilinearAxis: Sendable {
    /// `(lower, upper, fraction)`: output = `in[lower] * (1 - fraction) + in[upper] * fraction`.
    let taps: [(Int, Int, Float)]

    init(inputSize: Int, outputSize: Int) {
        let scale = outputSize > 1 ? Double(inputSize - 1) / Double(outputSize - 1) : 0
        taps = (0..<outputSize).map { o in
            let position = Double(o) * scale
            let lower = min(Int(position), max(0, inputSize - 1))
            let upper = min(lower + 1, max(0, inputSize - 1))
            return (lower, upper, Float(position - Double(lower)))
        }
    }
}
