import Foundation

/// EXIF orientation: how a camera says its stored pixels must be turned to stand upright.
///
/// The eight values are those of TIFF tag 0x0112: 1 upright, 2 mirrored left-right,
/// 3 turned 180°, 4 mirrored top-bottom, 5 transposed (mirrored about the main diagonal),
/// 6 needs a quarter turn clockwise, 7 transversed (mirrored about the other diagonal),
/// 8 needs a quarter turn counter-clockwise.
public enum Orientation {
    /// The orientation stored in a JPEG's Exif APP1 segment (IFD0, tag 0x0112).
    ///
    /// - Returns: 1...8; 1 when the data is not a JPEG, has no Exif segment, or the segment
    ///   is malformed in any way (every read is bounds-checked).
    public static func exifOrientation(inJPEG data: Data) -> Int {
        let bytes = [UInt8](data)
        guard ImageFormat.sniff(bytes) == .jpeg else { return 1 }
        return exifOrientation(in: bytes, structure: JPEGStructure.scan(bytes))
    }

    /// The orientation from an already scanned JPEG.
    static func exifOrientation(in bytes: [UInt8], structure: JPEGStructure) -> Int {
        guard let range = structure.exif else { return 1 }
        return orientation(tiff: ByteReader(bytes, base: range.lowerBound, end: range.upperBound))
    }

    /// Reads tag 0x0112 from IFD0 of a TIFF structure (`II*\0` or `MM\0*` header).
    static func orientation(tiff: ByteReader) -> Int {
        var reader = tiff
        if reader.matches([0x49, 0x49], at: 0) {
            reader.bigEndian = false
        } else if reader.matches([0x4D, 0x4D], at: 0) {
            reader.bigEndian = true
        } else {
            return 1
        }
        guard reader.u16(2) == 42, let ifd = reader.u32(4).map(Int.init), ifd >= 8,
              let count = reader.u16(ifd).map(Int.init),
              reader.has(ifd + 2, 12 * count) else { return 1 }
        for entry in 0..<count {
            let at = ifd + 2 + 12 * entry
            guard reader.u16(at) == 0x0112 else { continue }
            // SHORT (type 3), one value, held in the first two bytes of the value field.
            guard reader.u16(at + 2) == 3, reader.u32(at + 4) == 1,
                  let value = reader.u16(at + 8), (1...8).contains(value) else { return 1 }
            return Int(value)
        }
        return 1
    }

    /// Turns `image` upright according to an EXIF orientation value; values 5–8 swap width
    /// and height.
    ///
    /// - Precondition: `orientation` is in 1...8.
    public static func apply(_ orientation: Int, to image: RGBImage) -> RGBImage {
        precondition((1...8).contains(orientation), "EXIF orientation must be in 1...8")
        if orientation == 1 { return image }
        let width = image.width, height = image.height
        let swaps = orientation >= 5
        let outWidth = swaps ? height : width, outHeight = swaps ? width : height
        let plane = width * height
        var pixels = [Float](repeating: 0, count: 3 * plane)
        for y in 0..<outHeight {
            for x in 0..<outWidth {
                let (sx, sy) = source(orientation, x: x, y: y, width: width, height: height)
                let from = sy * width + sx, to = y * outWidth + x
                pixels[to] = image.pixels[from]
                pixels[plane + to] = image.pixels[plane + from]
                pixels[2 * plane + to] = image.pixels[2 * plane + from]
            }
        }
        return RGBImage(width: outWidth, height: outHeight, pixels: pixels)
    }

    /// The stored pixel that lands at upright position (x, y).
    private static func source(_ orientation: Int, x: Int, y: Int, width: Int,
                               height: Int) -> (Int, Int) {
        switch orientation {
        case 2: return (width - 1 - x, y)
        case 3: return (width - 1 - x, height - 1 - y)
        case 4: return (x, height - 1 - y)
        case 5: return (y, x)
        case 6: return (y, height - 1 - x)
        case 7: return (width - 1 - y, height - 1 - x)
        case 8: return (width - 1 - y, x)
        default: return (x, y)
        }
    }
}
