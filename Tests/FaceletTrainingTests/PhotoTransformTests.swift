import FaceletImaging
import Testing
@testable import FaceletTraining

@Suite struct PhotoTransformTests {
    @Test func warmGradeMatchesItsFormulaEverywhere() {
        let image = TestImages.gradient(width: 8, height: 6, seed: 4)
        let (out, mask) = PhotoTransform.warmGrade.apply(image)
        #expect(mask.allSatisfy { $0 == 1 })
        let plane = 48
        for p in 0 ..< plane {
            let r = image.pixels[p], g = image.pixels[plane + p], b = image.pixels[2 * plane + p]
            let luma = 0.299 * r + 0.587 * g + 0.114 * b
            let expected = [
                1.08 * (luma + 1.15 * (r - luma)) + 0.03,
                1.00 * (luma + 1.15 * (g - luma)) + 0.01,
                0.85 * (luma + 1.15 * (b - luma)) - 0.03,
            ].map { min(1, max(0, $0)) }
            for c in 0 ..< 3 { #expect(abs(out.pixels[c * plane + p] - expected[c]) < 1e-6) }
        }
    }

    @Test func brightPatchChangesOnlyItsRegion() {
        let image = RGBImage(width: 40, height: 40, fill: (0.3, 0.3, 0.3))
        let (out, mask) = PhotoTransform.brightPatch.apply(image)
        let plane = 1600
        var inside = 0
        for p in 0 ..< plane {
            let changed = (0 ..< 3).contains { out.pixels[$0 * plane + p] != 0.3 }
            #expect(changed == (mask[p] > 0))
            if mask[p] == 1 {
                inside += 1
                #expect(abs(out.pixels[p] - 0.55) < 1e-6)
            }
        }
        // Centre (0.5, 0.3) is inside the core; the corners are outside.
        #expect(mask[12 * 40 + 20] == 1)
        #expect(mask[0] == 0 && mask[plane - 1] == 0)
        #expect(inside > 50)
    }

    @Test func shadowLiftFollowsTheDarkPartOfThePhoto() {
        // Left half dark (0.1), right half bright (0.8): the mask is 1 well inside the dark
        // half, 0 well inside the bright half, and only masked pixels change.
        let (width, height) = (64, 32)
        let plane = width * height
        var pixels = [Float](repeating: 0, count: 3 * plane)
        for c in 0 ..< 3 {
            for y in 0 ..< height {
                for x in 0 ..< width { pixels[c * plane + y * width + x] = x < 32 ? 0.1 : 0.8 }
            }
        }
        let image = RGBImage(width: width, height: height, pixels: pixels)
        let (out, mask) = PhotoTransform.shadowLift.apply(image)
        #expect(mask[5 * width + 4] == 1 && mask[20 * width + 20] == 1)
        #expect(mask[5 * width + 60] == 0 && mask[20 * width + 44] == 0)
        for p in 0 ..< plane {
            let offsets: [Float] = [0.15, 0.08, 0]
            for c in 0 ..< 3 {
                let expected = min(1, max(0, pixels[c * plane + p] + mask[p] * offsets[c]))
                #expect(abs(out.pixels[c * plane + p] - expected) < 1e-6)
            }
        }
        // The edge is soft: somewhere between the halves the mask lies strictly inside (0, 1).
        #expect((0 ..< width).contains { mask[16 * width + $0] > 0 && mask[16 * width + $0] < 1 })
        #expect(PhotoTransform.shadowLift.isLocal && !PhotoTransform.warmGrade.isLocal)
    }

    @Test func boxBlurMatchesAPlainAverage() {
        let (width, height, radius) = (7, 5, 2)
        var rng = TrainingRandom(seed: 9)
        let plane = (0 ..< width * height).map { _ in rng.nextUnitFloat() }
        let blurred = PhotoTransform.boxBlur(plane, width: width, height: height, radius: radius)
        func at(_ x: Int, _ y: Int) -> Double {
            Double(plane[min(height - 1, max(0, y)) * width + min(width - 1, max(0, x))])
        }
        for y in 0 ..< height {
            for x in 0 ..< width {
                var sum = 0.0
                for dy in -radius ... radius {
                    for dx in -radius ... radius { sum += at(x + dx, y + dy) }
                }
                let expected = sum / Double((2 * radius + 1) * (2 * radius + 1))
                #expect(abs(Double(blurred[y * width + x]) - expected) < 1e-5)
            }
        }
    }
}
