import FaceletImaging
import FaceletPackage
import FaceletTensor
import Testing

@testable import FaceletModel

/// The `affine-difference` output mode: its colour transform against a plain per-pixel
/// reference, and the edits it makes.
@Suite struct AffineColourTests {
    static func random(_ shape: [Int], seed: UInt64) -> Tensor {
        var generator = SplitMix64(seed: seed)
        var tensor = Tensor(zeros: shape)
        for i in tensor.data.indices {
            tensor.data[i] = Float(Double(generator.next() % 2001) / 1000 - 1)
        }
        return tensor
    }

    /// `A·x + b` at pixel (n, y, x), written out entry by entry.
    static func referencePixel(_ k: Tensor, _ image: Tensor, n: Int, y: Int, x: Int) -> [Double] {
        func at(_ t: Tensor, _ c: Int) -> Double {
            Double(t.data[((n * t.c + c) * t.h + y) * t.w + x])
        }
        return (0..<3).map { row in
            at(k, 9 + row) + at(k, 3 * row) * at(image, 0) + at(k, 3 * row + 1) * at(image, 1)
                + at(k, 3 * row + 2) * at(image, 2)
        }
    }

    @Test func applyMatchesAPlainMatrixTimesVectorAtEveryPixel() {
        let image = Self.random([2, 3, 5, 7], seed: 1)
        let coefficients = Self.random([2, 12, 5, 7], seed: 2)
        let out = AffineColour.apply(coefficients, to: image)
        #expect(out.shape == [2, 3, 5, 7])
        var worst = 0.0
        for n in 0..<2 {
            for y in 0..<5 {
                for x in 0..<7 {
                    let expected = Self.referencePixel(coefficients, image, n: n, y: y, x: x)
                    for c in 0..<3 {
                        let got = Double(out.data[((n * 3 + c) * 5 + y) * 7 + x])
                        worst = max(worst, abs(got - expected[c]))
                    }
                }
            }
        }
        #expect(worst < 1e-5, "largest difference \(worst)")
    }

    @Test func coefficientGradientIsTheTransposeOfApply() {
        // <g, apply(k, x)> = <coefficientGradient(g, x), k> for every k: apply is linear in k.
        let image = Self.random([1, 3, 4, 6], seed: 3)
        let gradient = Self.random([1, 3, 4, 6], seed: 4)
        let back = AffineColour.coefficientGradient(gradient, image: image)
        #expect(back.shape == [1, 12, 4, 6])
        for seed in UInt64(5)...7 {
            let k = Self.random([1, 12, 4, 6], seed: seed)
            let forward = zip(gradient.data, AffineColour.apply(k, to: image).data)
                .reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let backward = zip(back.data, k.data).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            #expect(abs(forward - backward) < 1e-4 * max(1, abs(forward)),
                    "\(forward) against \(backward)")
        }
    }

    @Test func anAffineDifferenceEditIsThePhotoPlusTheTransformOfTheChange() throws {
        let (_, backbone) = try randomBackbone(.vgg19(width: 1 / 16.0,
                                                      output: .affineDifference))
        let bank = try FaceletBank(
            package: RandomWeights.bank(for: backbone, seed: 3, scale: 1).package,
            backbone: backbone)
        let photo = testPhoto(width: 16, height: 16)
        let session = try Editor(backbone: backbone).prepare(photo, bank: bank)
        let strength = 0.6
        let after = session.decodeEdited(strength: strength)
        let before = session.decodeEdited(strength: 0)
        #expect(after.shape == [1, 12, 16, 16])

        let edited = session.render(strength: strength)
        let padded = Tensor(shape: [1, 3, 16, 16], data: photo.pixels)
        let normalised = backbone.normalise(padded)
        let change = Ops.addScaled(after, before, scale: -1)
        let std = Architecture.imageNetStd
        var worst = 0.0
        for y in 0..<16 {
            for x in 0..<16 {
                let transformed = Self.referencePixel(change, normalised, n: 0, y: y, x: x)
                for c in 0..<3 {
                    let index = (c * 16 + y) * 16 + x
                    let expected = min(1, max(0, Double(photo.pixels[index])
                                                + std[c] * transformed[c]))
                    worst = max(worst, abs(Double(edited.pixels[index]) - expected))
                }
            }
        }
        #expect(worst < 1e-5, "largest difference \(worst)")
        #expect(edited != photo)
        #expect(session.render(strength: 0) == photo)
    }

    @Test func aDecoderThatDoesNotEndWithTwelveChannelsIsRefused() {
        var architecture = Architecture.vgg19(width: 1 / 16.0, output: .difference)
        architecture.output = .affineDifference
        #expect {
            try architecture.validate()
        } throws: { error in
            (error as? PackageError)?.message.contains("must end with 12 channels") == true
        }
    }
}
