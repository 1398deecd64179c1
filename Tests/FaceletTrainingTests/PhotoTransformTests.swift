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
}
