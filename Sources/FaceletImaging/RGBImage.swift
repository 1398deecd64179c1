/// A colour photo held as 32-bit floats, ready for the network.
///
/// Layout: planar CHW with three planes in the order R, G, B; each plane is `height` rows of
/// `width` values, row-major. Values are non-linear sRGB intensities in [0, 1] (the 8-bit
/// value divided by 255); nothing here converts to linear light.
public struct RGBImage: Sendable, Equatable {
    /// Width in pixels (columns).
    public let width: Int
    /// Height in pixels (rows).
    public let height: Int
    /// The samples, `3 * width * height` floats, planar CHW (R plane, G plane, B plane).
    public var pixels: [Float]

    /// Wraps existing planar CHW samples.
    ///
    /// - Precondition: `width > 0`, `height > 0` and `pixels.count == 3 * width * height`.
    public init(width: Int, height: Int, pixels: [Float]) {
        precondition(width > 0 && height > 0, "RGBImage needs a positive size")
        precondition(pixels.count == 3 * width * height,
                     "RGBImage \(width)x\(height) needs \(3 * width * height) samples, "
                        + "got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Makes an image of one solid colour, given as (R, G, B) in [0, 1].
    public init(width: Int, height: Int, fill: (Float, Float, Float)) {
        precondition(width > 0 && height > 0, "RGBImage needs a positive size")
        let count = width * height
        var pixels = [Float](repeating: fill.0, count: 3 * count)
        for index in count..<(2 * count) { pixels[index] = fill.1 }
        for index in (2 * count)..<(3 * count) { pixels[index] = fill.2 }
        self.init(width: width, height: height, pixels: pixels)
    }

    /// The number of pixels in one plane, `width * height`.
    public var planeSize: Int { width * height }

    /// The (R, G, B) sample at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> (Float, Float, Float) {
        precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel (\(x), \(y)) outside")
        let index = y * width + x
        return (pixels[index], pixels[planeSize + index], pixels[2 * planeSize + index])
    }

    /// Builds an image from interleaved 8-bit RGB bytes (`RGBRGB…`, row-major).
    init(width: Int, height: Int, interleavedRGB8 bytes: UnsafeBufferPointer<UInt8>) {
        let count = width * height
        precondition(bytes.count >= 3 * count, "interleaved buffer too small")
        var pixels = [Float](repeating: 0, count: 3 * count)
        Self.unitOfByte.withUnsafeBufferPointer { unit in
            pixels.withUnsafeMutableBufferPointer { pixels in
                for index in 0..<count {
                    pixels[index] = unit[Int(bytes[3 * index])]
                    pixels[count + index] = unit[Int(bytes[3 * index + 1])]
                    pixels[2 * count + index] = unit[Int(bytes[3 * index + 2])]
                }
            }
        }
        self.init(width: width, height: height, pixels: pixels)
    }

    /// The samples as interleaved 8-bit RGB, each clamped to [0, 1] and rounded (NaN gives 0).
    func interleavedRGB8() -> [UInt8] {
        let count = planeSize
        var bytes = [UInt8](repeating: 0, count: 3 * count)
        pixels.withUnsafeBufferPointer { pixels in
            bytes.withUnsafeMutableBufferPointer { bytes in
                for index in 0..<count {
                    bytes[3 * index] = Self.quantize(pixels[index])
                    bytes[3 * index + 1] = Self.quantize(pixels[count + index])
                    bytes[3 * index + 2] = Self.quantize(pixels[2 * count + index])
                }
            }
        }
        return bytes
    }

    /// `Float(b) / 255` for every byte `b`, correctly rounded (multiplying by `1 / 255` is not).
    static let unitOfByte: [Float] = (0...255).map { Float($0) / 255 }

    /// One sample in [0, 1] as an 8-bit value (rounded to nearest, NaN gives 0).
    static func quantize(_ value: Float) -> UInt8 {
        guard value > 0 else { return 0 }
        guard value < 1 else { return 255 }
        return UInt8((value * 255).rounded())
    }
}
