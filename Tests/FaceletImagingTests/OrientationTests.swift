import Foundation
import Testing
@testable import FaceletImaging

/// EXIF parsing on hand-built segments and the eight orientation transforms. Decoding of
/// real files with every orientation is checked against Pillow in DecodeTests.
@Suite("EXIF orientation")
struct OrientationTests {
    /// A JPEG-shaped byte string: SOI, an APP1 segment with `tiff` after `Exif\0\0`, EOI.
    static func jpeg(tiff: [UInt8], declaredLength: Int? = nil) -> Data {
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        let length = declaredLength ?? payload.count + 2
        return Data([0xFF, 0xD8, 0xFF, 0xE1, UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
                        + payload + [0xFF, 0xD9])
    }

    /// A TIFF structure whose IFD0 has one entry.
    static func tiff(bigEndian: Bool, tag: UInt16 = 0x0112, type: UInt16 = 3, count: UInt32 = 1,
                     value: UInt16, ifdOffset: UInt32 = 8, entries: UInt16 = 1) -> [UInt8] {
        func u16(_ v: UInt16) -> [UInt8] {
            bigEndian ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)]
        }
        func u32(_ v: UInt32) -> [UInt8] {
            bigEndian ? u16(UInt16(v >> 16)) + u16(UInt16(v & 0xFFFF))
                : u16(UInt16(v & 0xFFFF)) + u16(UInt16(v >> 16))
        }
        var bytes = (bigEndian ? Array("MM".utf8) : Array("II".utf8)) + u16(42) + u32(ifdOffset)
        bytes += u16(entries) + u16(tag) + u16(type) + u32(count) + u16(value) + u16(0) + u32(0)
        return bytes
    }

    @Test("reads every orientation value in both byte orders", arguments: 1...8)
    func readsOrientation(_ value: Int) {
        for bigEndian in [false, true] {
            let data = Self.jpeg(tiff: Self.tiff(bigEndian: bigEndian, value: UInt16(value)))
            #expect(Orientation.exifOrientation(inJPEG: data) == value)
        }
    }

    @Test("malformed Exif data gives orientation 1")
    func ignoresMalformedExif() {
        let good = Self.tiff(bigEndian: true, value: 6)
        let cases: [(String, Data)] = [
            ("value 0", Self.jpeg(tiff: Self.tiff(bigEndian: true, value: 0))),
            ("value 9", Self.jpeg(tiff: Self.tiff(bigEndian: true, value: 9))),
            ("type LONG", Self.jpeg(tiff: Self.tiff(bigEndian: true, type: 4, value: 6))),
            ("count 2", Self.jpeg(tiff: Self.tiff(bigEndian: true, count: 2, value: 6))),
            ("other tag", Self.jpeg(tiff: Self.tiff(bigEndian: true, tag: 0x0110, value: 6))),
            ("IFD past end", Self.jpeg(tiff: Self.tiff(bigEndian: true, value: 6,
                                                       ifdOffset: 4000))),
            ("IFD inside header", Self.jpeg(tiff: Self.tiff(bigEndian: true, value: 6,
                                                            ifdOffset: 2))),
            ("entry count past end", Self.jpeg(tiff: Self.tiff(bigEndian: true, value: 6,
                                                               entries: 900))),
            ("bad byte order", Self.jpeg(tiff: [0x4D, 0x49] + good.dropFirst(2))),
            ("bad magic", Self.jpeg(tiff: Array(good.prefix(2)) + [0, 43] + good.dropFirst(4))),
            ("segment longer than file", Self.jpeg(tiff: good, declaredLength: 60_000)),
            ("cut TIFF", Self.jpeg(tiff: Array(good.prefix(13)))),
            ("no Exif", Data([0xFF, 0xD8, 0xFF, 0xD9])),
            ("not a JPEG", Data("Exif MM orientation 6".utf8)),
            ("empty", Data()),
        ]
        for (name, data) in cases {
            #expect(Orientation.exifOrientation(inJPEG: data) == 1, "\(name)")
        }
    }

    @Test("random Exif payloads never crash and give a value in 1...8")
    func survivesRandomExif() {
        var generator = SplitMix64(state: 42)
        let good = Self.tiff(bigEndian: false, value: 3)
        for round in 0..<2000 {
            var tiff = round % 2 == 0 ? good
                : (0..<Int.random(in: 0...40, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
            if !tiff.isEmpty {
                tiff[Int.random(in: 0..<tiff.count, using: &generator)] =
                    UInt8.random(in: 0...255, using: &generator)
            }
            let value = Orientation.exifOrientation(inJPEG: Self.jpeg(tiff: tiff))
            #expect((1...8).contains(value))
        }
    }

    /// A 3x2 image whose R samples are 0...5 in row-major order; G and B are offsets of it.
    static let sample = RGBImage(width: 3, height: 2,
                                 pixels: (0..<6).map(Float.init) + (10..<16).map(Float.init)
                                    + (20..<26).map(Float.init))

    @Test("each orientation rearranges pixels as the EXIF specification says")
    func appliesEachOrientation() {
        // Stored       upright for each value (R samples, rows top to bottom):
        // 0 1 2
        // 3 4 5
        let expected: [Int: (Int, Int, [Float])] = [
            1: (3, 2, [0, 1, 2, 3, 4, 5]),
            2: (3, 2, [2, 1, 0, 5, 4, 3]),
            3: (3, 2, [5, 4, 3, 2, 1, 0]),
            4: (3, 2, [3, 4, 5, 0, 1, 2]),
            5: (2, 3, [0, 3, 1, 4, 2, 5]),
            6: (2, 3, [3, 0, 4, 1, 5, 2]),
            7: (2, 3, [5, 2, 4, 1, 3, 0]),
            8: (2, 3, [2, 5, 1, 4, 0, 3]),
        ]
        for (orientation, (width, height, red)) in expected {
            let upright = Orientation.apply(orientation, to: Self.sample)
            #expect(upright.width == width && upright.height == height, "\(orientation)")
            #expect(upright.pixels == red + red.map { $0 + 10 } + red.map { $0 + 20 },
                    "orientation \(orientation)")
        }
    }

    @Test("turning right then left, and every mirror done twice, is the identity")
    func inversesCancel() {
        let image = Self.sample
        #expect(Orientation.apply(8, to: Orientation.apply(6, to: image)) == image)
        #expect(Orientation.apply(3, to: Orientation.apply(3, to: image)) == image)
        for mirror in [2, 4, 5, 7] {
            #expect(Orientation.apply(mirror, to: Orientation.apply(mirror, to: image)) == image)
        }
    }
}
