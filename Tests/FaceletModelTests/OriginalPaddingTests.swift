import FaceletImaging
@testable import FaceletModel
import FaceletPackage
import FaceletTensor
import Testing

/// The `mean` input padding: the original release zero-pads its *normalised* image up to a
/// multiple of 112, i.e. pads with the ImageNet mean colour in pixel space.
@Suite struct OriginalPaddingTests {
    static let architecture = Architecture.faceletOriginal(width: 1.0 / 32)

    @Test func originalArchitecturePadsWithTheMeanColour() {
        #expect(Self.architecture.input.padMode == .mean)
        #expect(Self.architecture.input.padMultiple == 112)
    }

    @Test func meanPaddingNormalisesToExactZeroAndKeepsThePhoto() throws {
        let (_, backbone) = try randomBackbone(Self.architecture)
        let photo = testPhoto(width: 100, height: 90)
        let padding = try InputPadding(width: 100, height: 90, backbone: backbone)
        #expect([padding.top, padding.bottom, padding.left, padding.right] == [11, 11, 6, 6])

        let tensor = Tensor(shape: [1, 3, 90, 100], data: photo.pixels)
        let normalised = backbone.normalise(padding.pad(tensor))
        #expect(normalised.shape == [1, 3, 112, 112])
        let inside = backbone.normalise(tensor)
        var borderValues = 0
        var nonZeroBorder = 0
        var changedInside = 0
        for c in 0..<3 {
            for y in 0..<112 {
                for x in 0..<112 {
                    let value = normalised.data[(c * 112 + y) * 112 + x]
                    let row = y - 11
                    let column = x - 6
                    if row >= 0, row < 90, column >= 0, column < 100 {
                        if value != inside.data[(c * 90 + row) * 100 + column] {
                            changedInside += 1
                        }
                    } else {
                        borderValues += 1
                        if value != 0 { nonZeroBorder += 1 }
                    }
                }
            }
        }
        #expect(borderValues == 3 * (112 * 112 - 90 * 100))
        #expect(nonZeroBorder == 0)
        #expect(changedInside == 0)
    }

    /// The release's pipeline done by hand: pad the photo to 112×112 with the mean colour
    /// (zero after normalisation), edit the padded photo, crop the result back. The editor on
    /// the 100×90 photo must give the same pixels.
    @Test func editOfAnOddSizedPhotoEqualsTheManuallyPaddedEdit() throws {
        let (_, backbone) = try randomBackbone(Self.architecture)
        let (_, bankPackage) = try RandomWeights.bank(
            for: backbone, seed: 5, scale: 0.5, padding: Architecture.originalBankPadding)
        let bank = try FaceletBank(package: bankPackage, backbone: backbone)
        let editor = Editor(backbone: backbone)
        let photo = testPhoto(width: 100, height: 90, seed: 11)

        let mean = Self.architecture.input.mean.map { Float($0) }
        var padded = [Float](repeating: 0, count: 3 * 112 * 112)
        for c in 0..<3 {
            for y in 0..<112 {
                for x in 0..<112 {
                    let (row, column) = (y - 11, x - 6)
                    let inside = row >= 0 && row < 90 && column >= 0 && column < 100
                    padded[(c * 112 + y) * 112 + x] = inside
                        ? photo.pixels[(c * 90 + row) * 100 + column] : mean[c]
                }
            }
        }
        let paddedPhoto = RGBImage(width: 112, height: 112, pixels: padded)

        let direct = try editor.prepare(photo, bank: bank)
        let manual = try editor.prepare(paddedPhoto, bank: bank)
        for strength in [0.0, 1.0] {
            let a = direct.render(strength: strength)
            let b = manual.render(strength: strength)
            #expect(a.width == 100 && a.height == 90)
            var cropped = [Float](repeating: 0, count: 3 * 90 * 100)
            for c in 0..<3 {
                for y in 0..<90 {
                    for x in 0..<100 {
                        cropped[(c * 90 + y) * 100 + x] = b.pixels[(c * 112 + y + 11) * 112 + x + 6]
                    }
                }
            }
            let difference = maxAbsDifference(a.pixels, cropped)
            #expect(difference <= 1e-5, "strength \(strength): max difference \(difference)")
        }
        // The edit is not the identity, so the comparison above compared real changes.
        let change = maxAbsDifference(direct.render(strength: 1).pixels,
                                      direct.render(strength: 0).pixels)
        #expect(change > 1e-3)
    }

    /// Black padding (the `zero` mode) differs from the release near the borders: the mode
    /// matters, so the test above would catch a regression to black padding.
    @Test func blackPaddingGivesADifferentEdit() throws {
        var blackArchitecture = Self.architecture
        blackArchitecture.input.padMode = .zero
        let (_, meanBackbone) = try randomBackbone(Self.architecture)
        let (_, blackBackbone) = try randomBackbone(blackArchitecture)
        let photo = testPhoto(width: 100, height: 90, seed: 11)
        let a = try Editor(backbone: meanBackbone).reconstruct(photo)
        let b = try Editor(backbone: blackBackbone).reconstruct(photo)
        #expect(maxAbsDifference(a.pixels, b.pixels) > 1e-4)
    }
}
