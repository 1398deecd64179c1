import Testing
@testable import FaceletImaging

/// Resizing against plain references: block means, replicated-pixel area averages, and
/// hand-computed bilinear values.
@Suite("Resampling")
struct ResampleTests {
    /// A plane with distinct, irregular values.
    static func plane(width: Int, height: Int, seed: UInt64 = 1) -> [Float] {
        var generator = SplitMix64(state: seed)
        return (0..<(width * height)).map { _ in Float.random(in: 0...1, using: &generator) }
    }

    @Test("resizing to the same size is the identity")
    func sameSizeIsIdentity() {
        let plane = Self.plane(width: 7, height: 5)
        #expect(Resample.resizePlane(plane, width: 7, height: 5, toWidth: 7, toHeight: 5) == plane)
        let image = RGBImage(width: 7, height: 5, pixels: plane + plane + plane)
        #expect(Resample.resize(image, width: 7, height: 5) == image)
    }

    @Test("an axis that keeps its size is copied exactly while the other changes")
    func unchangedAxisIsCopied() {
        let plane = Self.plane(width: 6, height: 4)
        let halved = Resample.resizePlane(plane, width: 6, height: 4, toWidth: 3, toHeight: 4)
        for y in 0..<4 {
            for x in 0..<3 {
                let mean = (plane[y * 6 + 2 * x] + plane[y * 6 + 2 * x + 1]) / 2
                #expect(abs(halved[y * 3 + x] - mean) <= 1e-6)
            }
        }
    }

    @Test("shrinking by whole factors gives block means",
          arguments: [(12, 8, 6, 4), (12, 9, 4, 3), (12, 8, 3, 4), (10, 10, 1, 1)])
    func integerShrinkIsBlockMean(_ sizes: (Int, Int, Int, Int)) {
        let (width, height, toWidth, toHeight) = sizes
        let plane = Self.plane(width: width, height: height)
        let result = Resample.resizePlane(plane, width: width, height: height, toWidth: toWidth,
                                          toHeight: toHeight)
        let blockWidth = width / toWidth, blockHeight = height / toHeight
        for y in 0..<toHeight {
            for x in 0..<toWidth {
                var sum: Double = 0
                for dy in 0..<blockHeight {
                    for dx in 0..<blockWidth {
                        sum += Double(plane[(y * blockHeight + dy) * width + x * blockWidth + dx])
                    }
                }
                let mean = sum / Double(blockWidth * blockHeight)
                #expect(abs(Double(result[y * toWidth + x]) - mean) <= 1e-6)
            }
        }
    }

    @Test("shrinking by fractional factors equals the block mean of the replicated plane",
          arguments: [(7, 5, 3, 2), (10, 3, 4, 2), (9, 9, 7, 8)])
    func fractionalShrinkIsAreaAverage(_ sizes: (Int, Int, Int, Int)) {
        // Repeating every input pixel toWidth x toHeight times makes each output cover a whole
        // width x height block of the repeated plane, so area averaging is a plain block mean.
        let (width, height, toWidth, toHeight) = sizes
        let plane = Self.plane(width: width, height: height, seed: 9)
        let result = Resample.resizePlane(plane, width: width, height: height, toWidth: toWidth,
                                          toHeight: toHeight)
        for y in 0..<toHeight {
            for x in 0..<toWidth {
                var sum: Double = 0
                for by in (y * height)..<((y + 1) * height) {
                    for bx in (x * width)..<((x + 1) * width) {
                        sum += Double(plane[(by / toHeight) * width + bx / toWidth])
                    }
                }
                let mean = sum / Double(width * height)
                #expect(abs(Double(result[y * toWidth + x]) - mean) <= 1e-5, "(\(x), \(y))")
            }
        }
    }

    @Test("enlarging interpolates between pixel centres and clamps at the edges")
    func enlargingIsBilinear() {
        // 2 -> 4 along x: output centres sit at input positions -0.25, 0.25, 0.75, 1.25.
        let row = Resample.resizePlane([0, 1], width: 2, height: 1, toWidth: 4, toHeight: 1)
        #expect(row == [0, 0.25, 0.75, 1])
        // 2x2 -> 4x4: the inner samples are products of the per-axis weights.
        let grid = Resample.resizePlane([0, 1, 2, 3], width: 2, height: 2, toWidth: 4,
                                        toHeight: 4)
        let axis: [(Float, Float)] = [(1, 0), (0.75, 0.25), (0.25, 0.75), (0, 1)]
        for y in 0..<4 {
            for x in 0..<4 {
                let (top, bottom) = axis[y], (left, right) = axis[x]
                let expected = top * (left * 0 + right * 1) + bottom * (left * 2 + right * 3)
                #expect(abs(grid[y * 4 + x] - expected) <= 1e-6, "(\(x), \(y))")
            }
        }
        // 3 -> 7: output i samples input position (i + 0.5) * 3 / 7 - 0.5.
        let source: [Float] = [2, 5, -1]
        let seven = Resample.resizePlane(source, width: 3, height: 1, toWidth: 7, toHeight: 1)
        for i in 0..<7 {
            let position = min(max((Double(i) + 0.5) * 3 / 7 - 0.5, 0), 2)
            let left = Int(position.rounded(.down)), right = min(left + 1, 2)
            let t = position - Double(left)
            let expected = Double(source[left]) * (1 - t) + Double(source[right]) * t
            #expect(abs(Double(seven[i]) - expected) <= 1e-6)
        }
    }

    @Test("constant images stay constant whatever the sizes",
          arguments: [(9, 7, 4, 13), (5, 5, 11, 2), (640, 480, 224, 224)])
    func constantsAreKept(_ sizes: (Int, Int, Int, Int)) {
        let (width, height, toWidth, toHeight) = sizes
        let image = RGBImage(width: width, height: height, fill: (0.2, 0.5, 0.9))
        let resized = Resample.resize(image, width: toWidth, height: toHeight)
        #expect(resized.width == toWidth && resized.height == toHeight)
        let expected = RGBImage(width: toWidth, height: toHeight, fill: (0.2, 0.5, 0.9))
        #expect(differences(resized.pixels, expected.pixels).max <= 1e-6)
    }

    @Test("resizing an image resizes each plane on its own")
    func imageResizeIsPerPlane() {
        let planes = (0..<3).map { Self.plane(width: 8, height: 6, seed: UInt64($0 + 3)) }
        let image = RGBImage(width: 8, height: 6, pixels: planes.flatMap { $0 })
        let resized = Resample.resize(image, width: 5, height: 9)
        let expected = planes.flatMap {
            Resample.resizePlane($0, width: 8, height: 6, toWidth: 5, toHeight: 9)
        }
        #expect(resized.pixels == expected)
    }
}
