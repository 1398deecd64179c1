import Foundation
import Testing
@testable import FaceletImaging

/// Decoding checked against an independent reference (see Python/make_variants.py).
///
/// Tolerances (largest absolute difference per sample, values in [0, 1]):
/// - `png8`: 1e-5, i.e. the exact 8-bit values (float rounding only);
/// - `png16`: 1e-5, the exact 16-bit values (they are read at 16 bits, not reduced to 8);
/// - `png16alpha`: 1e-4, alpha is premultiplied at 16 bits by libpng on the way;
/// - `png16srgb`: 1.5/255, a 16-bit file tagged sRGB (sRGB chunk or sRGB iCCP profile) goes
///   through linear light and back (measured 1.2/255);
/// - `jpeg`: 3/255 per sample and a mean under 0.25/255 against Pillow's own libjpeg-turbo
///   (identical output was measured with Pillow 13; another build may differ in the last bit).
@Suite("Decoding photos against independent references")
struct DecodeTests {
    static let pngCases = [
        "rgb8", "rgb8_interlaced", "rgba8", "gray8", "graya8", "palette8", "palette4_trns",
        "gray1", "gray2", "gray8_key", "rgb16", "rgb16_srgb", "rgb16_iccp", "gray16", "rgba16",
        "graya16", "single_pixel_png",
        "nasa_eileen_collins_astronaut",
    ]
    static let jpegCases = [
        "jpeg_420", "jpeg_422", "jpeg_444", "jpeg_progressive", "jpeg_gray", "jpeg_cmyk",
        "jpeg_single_pixel", "jpeg_orientation_1", "jpeg_orientation_2", "jpeg_orientation_3",
        "jpeg_orientation_4", "jpeg_orientation_5", "jpeg_orientation_6", "jpeg_orientation_7",
        "jpeg_orientation_8", "jpeg_orientation_3_motorola", "jpeg_orientation_6_motorola",
        "usnavy_grace_hopper",
    ]

    static func tolerance(_ kind: String) -> (max: Float, mean: Float) {
        switch kind {
        case "png8", "png16": return (1e-5, 1e-5)
        case "png16alpha": return (1e-4, 1e-4)
        case "png16srgb": return (1.5 / 255, 0.5 / 255)
        default: return (3 / 255, 0.25 / 255)
        }
    }

    @Test("every generated case is covered by a test")
    func manifestMatchesTheCaseLists() throws {
        let variants = try sharedVariants.get()
        #expect(Set(variants.cases.keys) == Set(Self.pngCases + Self.jpegCases))
    }

    @Test("decodes PNG variants to the values they were written from", arguments: pngCases)
    func decodesPNGVariant(_ name: String) throws {
        try checkCase(name)
    }

    @Test("decodes JPEG variants like Pillow, EXIF orientation applied", arguments: jpegCases)
    func decodesJPEGVariant(_ name: String) throws {
        try checkCase(name)
    }

    private func checkCase(_ name: String) throws {
        let variants = try sharedVariants.get()
        let variant = try #require(variants.cases[name])
        let image = try ImageCodec.decode(contentsOf: variants.url(of: variant))
        #expect(image.width == variant.width)
        #expect(image.height == variant.height)
        try #require(image.pixels.count == 3 * variant.width * variant.height)
        let (largest, mean) = differences(image.pixels, try variants.reference(of: variant))
        let tolerance = Self.tolerance(variant.kind)
        #expect(largest <= tolerance.max, "\(name): largest difference \(largest * 255)/255")
        #expect(mean <= tolerance.mean, "\(name): mean difference \(mean * 255)/255")
    }

    @Test("the real photos decode at their true size with known pixel values")
    func realPhotosHaveKnownSizeAndPixels() throws {
        let astronaut = try ImageCodec.decode(contentsOf: TestPaths.astronaut)
        #expect(astronaut.width == 512 && astronaut.height == 512)
        let hopper = try ImageCodec.decode(contentsOf: TestPaths.hopper)
        #expect(hopper.width == 517 && hopper.height == 606)
        // Values read with Pillow: Image.open(path).convert("RGB").getpixel((x, y)).
        let astronautPixels: [(Int, Int, (Int, Int, Int))] = [
            (0, 0, (154, 147, 151)), (256, 256, (19, 14, 7)), (100, 40, (181, 174, 163)),
            (511, 511, (0, 0, 0)),
        ]
        for (x, y, expected) in astronautPixels {
            let value = astronaut[x, y]
            #expect(RGBImage.quantize(value.0) == UInt8(expected.0), "astronaut (\(x), \(y)) R")
            #expect(RGBImage.quantize(value.1) == UInt8(expected.1), "astronaut (\(x), \(y)) G")
            #expect(RGBImage.quantize(value.2) == UInt8(expected.2), "astronaut (\(x), \(y)) B")
        }
        let hopperPixels: [(Int, Int, (Int, Int, Int))] = [
            (0, 0, (21, 26, 84)), (258, 303, (209, 124, 87)), (516, 605, (13, 12, 18)),
            (300, 200, (212, 117, 87)),
        ]
        for (x, y, expected) in hopperPixels {
            let value = hopper[x, y]
            #expect(abs(Int(RGBImage.quantize(value.0)) - expected.0) <= 2, "hopper (\(x), \(y))")
            #expect(abs(Int(RGBImage.quantize(value.1)) - expected.1) <= 2, "hopper (\(x), \(y))")
            #expect(abs(Int(RGBImage.quantize(value.2)) - expected.2) <= 2, "hopper (\(x), \(y))")
        }
    }
}
