/// Resizing of images and single float planes.
///
/// Each axis is handled on its own: an axis that shrinks is area-averaged (each output sample
/// is the mean of the input it covers, partial pixels weighted by their overlap); an axis that
/// grows is interpolated bilinearly with pixel centres at half-integers (the
/// `align_corners=False` convention), clamping at the edges. An axis that keeps its size is
/// copied exactly.
public enum Resample {
    /// Resizes every plane of `image` to `width` x `height`.
    ///
    /// - Precondition: `width > 0` and `height > 0`.
    public static func resize(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        precondition(width > 0 && height > 0, "resize needs a positive size")
        if width == image.width && height == image.height { return image }
        let horizontal = AxisWeights(from: image.width, to: width)
        let vertical = AxisWeights(from: image.height, to: height)
        var pixels: [Float] = []
        pixels.reserveCapacity(3 * width * height)
        for channel in 0..<3 {
            let plane = Array(image.pixels[(channel * image.planeSize)..<((channel + 1)
                * image.planeSize)])
            pixels += apply(plane, width: image.width, height: image.height,
                            horizontal: horizontal, vertical: vertical)
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Resizes one row-major plane of `width` x `height` floats to `toWidth` x `toHeight`.
    ///
    /// - Precondition: all sizes positive and `plane.count == width * height`.
    public static func resizePlane(_ plane: [Float], width: Int, height: Int, toWidth: Int,
                                   toHeight: Int) -> [Float] {
        precondition(width > 0 && height > 0 && toWidth > 0 && toHeight > 0,
                     "resizePlane needs positive sizes")
        precondition(plane.count == width * height, "the plane is not \(width)x\(height)")
        if width == toWidth && height == toHeight { return plane }
        return apply(plane, width: width, height: height,
                     horizontal: AxisWeights(from: width, to: toWidth),
                     vertical: AxisWeights(from: height, to: toHeight))
    }

    /// Rows first, then columns. Raw buffers keep unoptimised (debug) builds usable on
    /// photo-sized planes; every index comes from `AxisWeights`, which stays in range.
    private static func apply(_ plane: [Float], width: Int, height: Int,
                              horizontal: AxisWeights, vertical: AxisWeights) -> [Float] {
        let outWidth = horizontal.outputCount, outHeight = vertical.outputCount
        var rows = [Float](repeating: 0, count: outWidth * height)
        plane.withUnsafeBufferPointer { source in
            rows.withUnsafeMutableBufferPointer { rows in
                horizontal.withBuffers { starts, indices, weights in
                    for y in 0..<height {
                        let input = y * width, output = y * outWidth
                        for x in 0..<outWidth {
                            var sum: Float = 0
                            for tap in starts[x]..<starts[x + 1] {
                                sum += weights[tap] * source[input + indices[tap]]
                            }
                            rows[output + x] = sum
                        }
                    }
                }
            }
        }
        var out = [Float](repeating: 0, count: outWidth * outHeight)
        rows.withUnsafeBufferPointer { rows in
            out.withUnsafeMutableBufferPointer { out in
                vertical.withBuffers { starts, indices, weights in
                    for y in 0..<outHeight {
                        let output = y * outWidth
                        for tap in starts[y]..<starts[y + 1] {
                            let weight = weights[tap], input = indices[tap] * outWidth
                            for x in 0..<outWidth {
                                out[output + x] += weight * rows[input + x]
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}

/// For each output position along one axis, the input positions it reads and their weights
/// (summing to 1), stored flat: output `i` uses taps `starts[i] ..< starts[i + 1]`.
struct AxisWeights {
    let outputCount: Int
    private(set) var starts: [Int] = [0]
    private(set) var indices: [Int] = []
    private(set) var weights: [Float] = []

    init(from inputCount: Int, to outputCount: Int) {
        self.outputCount = outputCount
        for output in 0..<outputCount {
            let taps: [(Int, Double)]
            if outputCount < inputCount {
                taps = Self.area(output, from: inputCount, to: outputCount)
            } else if outputCount == inputCount {
                taps = [(output, 1)]
            } else {
                taps = Self.bilinear(output, from: inputCount, to: outputCount)
            }
            let total = taps.reduce(0) { $0 + $1.1 }
            for (index, weight) in taps {
                indices.append(index)
                weights.append(Float(weight / total))
            }
            starts.append(indices.count)
        }
    }

    /// Calls `body` with raw views of `starts`, `indices` and `weights`.
    func withBuffers<R>(_ body: (UnsafeBufferPointer<Int>, UnsafeBufferPointer<Int>,
                                 UnsafeBufferPointer<Float>) -> R) -> R {
        starts.withUnsafeBufferPointer { starts in
            indices.withUnsafeBufferPointer { indices in
                weights.withUnsafeBufferPointer { weights in body(starts, indices, weights) }
            }
        }
    }

    /// Output `i` covers input `[i * n / m, (i + 1) * n / m)`; each input pixel weighs the
    /// length of its overlap with that interval.
    private static func area(_ output: Int, from inputCount: Int,
                             to outputCount: Int) -> [(Int, Double)] {
        let scale = Double(inputCount) / Double(outputCount)
        let low = Double(output) * scale
        let high = output == outputCount - 1 ? Double(inputCount) : Double(output + 1) * scale
        var taps: [(Int, Double)] = []
        var index = Int(low.rounded(.down))
        while index < inputCount && Double(index) < high {
            let overlap = min(high, Double(index + 1)) - max(low, Double(index))
            if overlap > 1e-9 { taps.append((index, overlap)) }
            index += 1
        }
        return taps
    }

    /// Linear interpolation between the two input centres around the output centre.
    private static func bilinear(_ output: Int, from inputCount: Int,
                                 to outputCount: Int) -> [(Int, Double)] {
        let position = (Double(output) + 0.5) * Double(inputCount) / Double(outputCount) - 0.5
        let clamped = min(max(position, 0), Double(inputCount - 1))
        let left = Int(clamped.rounded(.down))
        let right = min(left + 1, inputCount - 1)
        let fraction = clamped - Double(left)
        if right == left || fraction == 0 { return [(left, 1)] }
        return [(left, 1 - fraction), (right, fraction)]
    }
}
