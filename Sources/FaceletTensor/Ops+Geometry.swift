extension Ops {
    /// Pads the spatial dimensions of an NCHW tensor, filling by `mode`.
    ///
    /// - Precondition: rank 4, non-negative amounts; for `reflect` each amount is smaller than
    ///   the extent it pads (as PyTorch's `ReflectionPad2d`); for `replicate` the image is not
    ///   empty.
    public static func pad(_ x: Tensor, top: Int, left: Int, bottom: Int, right: Int,
                           mode: Padding) -> Tensor {
        let (height, width) = (x.h, x.w)
        precondition(top >= 0 && left >= 0 && bottom >= 0 && right >= 0,
                     "pad: negative amount (\(top), \(left), \(bottom), \(right))")
        switch mode {
        case .zero:
            break
        case .reflect:
            precondition(max(top, bottom) < height && max(left, right) < width,
                         "pad: reflect padding (\(top), \(left), \(bottom), \(right)) needs "
                            + "amounts below the extents \(height)x\(width)")
        case .replicate:
            precondition(height > 0 && width > 0 || (top + bottom + left + right == 0),
                         "pad: replicate padding of an empty image")
        }
        let (outHeight, outWidth) = (height + top + bottom, width + left + right)
        var out = Tensor(zeros: [x.n, x.c, outHeight, outWidth])
        let columnSource = (0..<outWidth).map { mode.sourceIndex($0 - left, size: width) }
        x.data.withUnsafeBufferPointer { input in
            out.data.withUnsafeMutableBufferPointer { output in
                for plane in 0..<(x.n * x.c) {
                    let src = input.baseAddress! + plane * height * width
                    let dst = output.baseAddress! + plane * outHeight * outWidth
                    for oy in 0..<outHeight {
                        guard let iy = mode.sourceIndex(oy - top, size: height) else { continue }
                        let row = src + iy * width
                        let outRow = dst + oy * outWidth
                        for ox in 0..<outWidth {
                            if let ix = columnSource[ox] { outRow[ox] = row[ix] }
                        }
                    }
                }
            }
        }
        return out
    }

    /// The spatial window `[top, top + height) x [left, left + width)` of an NCHW tensor.
    ///
    /// - Precondition: rank 4 and the window lies inside the image.
    public static func crop(_ x: Tensor, top: Int, left: Int, height: Int, width: Int) -> Tensor {
        precondition(top >= 0 && left >= 0 && height >= 0 && width >= 0
                        && top + height <= x.h && left + width <= x.w,
                     "crop: window (\(top), \(left), \(height)x\(width)) outside \(x.shape)")
        let (inHeight, inWidth) = (x.h, x.w)
        var data = [Float]()
        data.reserveCapacity(x.n * x.c * height * width)
        for plane in 0..<(x.n * x.c) {
            for y in top..<(top + height) {
                let start = (plane * inHeight + y) * inWidth + left
                data.append(contentsOf: x.data[start..<(start + width)])
            }
        }
        return Tensor(shape: [x.n, x.c, height, width], data: data)
    }
}
