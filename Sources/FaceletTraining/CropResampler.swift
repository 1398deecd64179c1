import FaceletImaging

/// Resamples a rectangle of a planar RGB image to a new size, separably: area averaging where
/// the output is smaller than the source (so downscaled crops do not alias) and linear
/// interpolation where it is larger.
enum CropResampler {
    /// One output sample's source taps: the first source index and its weights (summing to 1).
    struct Taps {
        var start: Int
        var weights: [Float]
    }

    /// The taps along one axis: `outCount` samples covering `[origin, origin + length)` of a
    /// source axis with `sourceCount` pixels.
    static func taps(sourceCount: Int, origin: Double, length: Double,
                     outCount: Int) -> [Taps] {
        precondition(sourceCount > 0 && outCount > 0 && length > 0, "Empty resample")
        let step = length / Double(outCount)
        var result: [Taps] = []
        result.reserveCapacity(outCount)
        for i in 0 ..< outCount {
            let lo = origin + Double(i) * step
            if step >= 1 {
                result.append(boxTaps(lo: lo, hi: lo + step, sourceCount: sourceCount))
            } else {
                result.append(linearTaps(center: lo + step / 2 - 0.5, sourceCount: sourceCount))
            }
        }
        return result
    }

    private static func boxTaps(lo: Double, hi: Double, sourceCount: Int) -> Taps {
        let first = max(0, min(sourceCount - 1, Int(lo.rounded(.down))))
        let last = max(first, min(sourceCount - 1, Int((hi - 1e-9).rounded(.down))))
        var weights: [Float] = []
        var total = 0.0
        for j in first ... last {
            let overlap = min(hi, Double(j + 1)) - max(lo, Double(j))
            let w = max(overlap, 0)
            weights.append(Float(w))
            total += w
        }
        if total <= 0 { return Taps(start: first, weights: [1]) }
        return Taps(start: first, weights: weights.map { $0 / Float(total) })
    }

    private static func linearTaps(center: Double, sourceCount: Int) -> Taps {
        let clamped = max(0, min(Double(sourceCount - 1), center))
        let j = min(Int(clamped.rounded(.down)), sourceCount - 1)
        let t = Float(clamped - Double(j))
        if j + 1 >= sourceCount || t == 0 { return Taps(start: j, weights: [1]) }
        return Taps(start: j, weights: [1 - t, t])
    }

    /// The rectangle `(x, y, width, height)` (source pixels, fractional allowed) of `image`,
    /// resampled to `outWidth × outHeight`, mirrored left-right when `flip` is set.
    static func crop(_ image: RGBImage, x: Double, y: Double, width: Double, height: Double,
                     outWidth: Int, outHeight: Int, flip: Bool) -> RGBImage {
        var xTaps = taps(sourceCount: image.width, origin: x, length: width, outCount: outWidth)
        if flip { xTaps.reverse() }
        let yTaps = taps(sourceCount: image.height, origin: y, length: height,
                         outCount: outHeight)
        let rowLo = yTaps.map(\.start).min() ?? 0
        let rowHi = yTaps.map { $0.start + $0.weights.count }.max() ?? 0
        let rows = rowHi - rowLo
        var out = [Float](repeating: 0, count: 3 * outWidth * outHeight)
        var horizontal = [Float](repeating: 0, count: rows * outWidth)
        let plane = image.width * image.height
        for channel in 0 ..< 3 {
            let base = channel * plane
            for r in 0 ..< rows {
                let rowBase = base + (rowLo + r) * image.width
                for (i, tap) in xTaps.enumerated() {
                    var sum: Float = 0
                    for (k, w) in tap.weights.enumerated() {
                        sum += w * image.pixels[rowBase + tap.start + k]
                    }
                    horizontal[r * outWidth + i] = sum
                }
            }
            let outBase = channel * outWidth * outHeight
            for (j, tap) in yTaps.enumerated() {
                for i in 0 ..< outWidth {
                    var sum: Float = 0
                    for (k, w) in tap.weights.enumerated() {
                        sum += w * horizontal[(tap.start + k - rowLo) * outWidth + i]
                    }
                    out[outBase + j * outWidth + i] = sum
                }
            }
        }
        return RGBImage(width: outWidth, height: outHeight, pixels: out)
    }

    /// `image` scaled so its shorter side is at most `maxShortSide` (never enlarged).
    static func reduce(_ image: RGBImage, maxShortSide: Int) -> RGBImage {
        let short = min(image.width, image.height)
        guard short > maxShortSide, maxShortSide > 0 else { return image }
        let scale = Double(maxShortSide) / Double(short)
        let w = max(1, Int((Double(image.width) * scale).rounded()))
        let h = max(1, Int((Double(image.height) * scale).rounded()))
        return crop(image, x: 0, y: 0, width: Double(image.width), height: Double(image.height),
                    outWidth: w, outHeight: h, flip: false)
    }
}
