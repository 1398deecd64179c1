import Testing
@testable import FaceletImaging

/// The heat colour ramp, rendering planes through it, and blending it over photos.
@Suite("Heat maps")
struct HeatMapTests {
    static func luminance(_ colour: (Float, Float, Float)) -> Float {
        0.2126 * colour.0 + 0.7152 * colour.1 + 0.0722 * colour.2
    }

    @Test("the ramp runs from near-black to pale yellow-white")
    func rampEndpoints() {
        let cold = ColorMap.heat(0), hot = ColorMap.heat(1)
        #expect(Self.luminance(cold) < 0.02)
        #expect(hot.0 >= 0.95 && hot.1 >= 0.95 && hot.2 >= 0.7 && hot.2 < hot.1)
    }

    @Test("brightness rises strictly along the ramp")
    func rampIsMonotonic() {
        var previous = -Float.infinity
        for step in 0...200 {
            let value = Self.luminance(ColorMap.heat(Float(step) / 200))
            #expect(value > previous, "step \(step)")
            previous = value
        }
    }

    @Test("values outside [0, 1] and NaN are clamped")
    func rampClamps() {
        for (input, clamped) in [(-3, 0), (Float.nan, 0), (7, 1), (-Float.infinity, 0)]
            as [(Float, Float)] {
            let got = ColorMap.heat(input), want = ColorMap.heat(clamped)
            #expect(got.0 == want.0 && got.1 == want.1 && got.2 == want.2, "\(input)")
        }
    }

    @Test("render divides by the given maximum, or by the plane's own largest value")
    func renderNormalises() {
        let plane: [Float] = [0, 1, 2, 4]
        let own = ColorMap.render(plane, width: 2, height: 2, normalizeTo: nil)
        let fixed = ColorMap.render(plane, width: 2, height: 2, normalizeTo: 8)
        for index in 0..<4 {
            let ownColour = ColorMap.heat(plane[index] / 4)
            let fixedColour = ColorMap.heat(plane[index] / 8)
            #expect(own.pixels[index] == ownColour.0 && own.pixels[4 + index] == ownColour.1
                        && own.pixels[8 + index] == ownColour.2)
            #expect(fixed.pixels[index] == fixedColour.0
                        && fixed.pixels[8 + index] == fixedColour.2)
        }
        let flat = ColorMap.render([0, 0, 0], width: 3, height: 1, normalizeTo: nil)
        #expect(flat == RGBImage(width: 3, height: 1, fill: ColorMap.heat(0)))
    }

    @Test("a cold map or zero opacity leaves the photo unchanged")
    func coldOverlayKeepsPhoto() {
        let photo = EncodeTests.testImage(width: 9, height: 7)
        let cold = Overlay.blend(photo: photo, heat: [Float](repeating: 0, count: 6),
                                 planeWidth: 3, planeHeight: 2)
        #expect(cold == photo)
        let invisible = Overlay.blend(photo: photo, heat: [Float](repeating: 1, count: 6),
                                      planeWidth: 3, planeHeight: 2, opacity: 0)
        #expect(invisible == photo)
    }

    @Test("each pixel mixes in the ramp colour with weight opacity x heat")
    func overlayMixesByHeat() {
        let photo = EncodeTests.testImage(width: 8, height: 6)
        let plane: [Float] = [0, 0.5, 1, 0.25, 2, -1]
        let blended = Overlay.blend(photo: photo, heat: plane, planeWidth: 3, planeHeight: 2,
                                    opacity: 0.6)
        let heat = Resample.resizePlane(plane, width: 3, height: 2, toWidth: 8, toHeight: 6)
        let count = 48
        for index in 0..<count {
            let value = min(max(heat[index], 0), 1)
            let colour = ColorMap.heat(value), alpha = 0.6 * value
            let expected = [colour.0, colour.1, colour.2].enumerated().map { channel, tint in
                photo.pixels[channel * count + index] * (1 - alpha) + tint * alpha
            }
            for channel in 0..<3 {
                #expect(abs(blended.pixels[channel * count + index] - expected[channel]) <= 1e-6)
            }
        }
    }
}
