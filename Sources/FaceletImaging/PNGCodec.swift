import CPNG
import Foundation

/// PNG through libpng's simplified API (`png_image_*`), which reports errors through return
/// values: the classic API's setjmp/longjmp error handling cannot be used from Swift.
///
/// See http://www.libpng.org/pub/png/libpng-manual.txt, section "Simplified API".
enum PNGCodec {
    /// Decodes any PNG (1–16 bit, gray, palette, RGB, with or without alpha) to RGB,
    /// compositing alpha over white.
    static func decode(_ bytes: [UInt8], limits: DecodeLimits) throws(ImageError) -> RGBImage {
        let header = try PNGStructure.header(bytes)
        try limits.check(width: header.width, height: header.height, format: .png)
        let statesEncoding = try PNGStructure.checkComplete(bytes)

        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        let began = bytes.withUnsafeBytes { raw in
            png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count)
        }
        guard began != 0 else {
            throw ImageError(.decodeFailed, "libpng rejected the header: \(message(of: image))")
        }
        let width = Int(image.width), height = Int(image.height)
        try limits.check(width: width, height: height, format: .png)

        if header.bitDepth == 16 {
            return try finishSixteenBit(&image, width: width, height: height,
                                        fromLinear: statesEncoding)
        }
        // > 8-bit RGBA output: "The color/gray channels are not scaled (pre-multiplied) by the
        // > alpha channel".
        image.format = facelet_png_format_rgba
        var rgba = [UInt8](repeating: 0, count: 4 * width * height)
        let finished = rgba.withUnsafeMutableBytes { raw in
            png_image_finish_read(&image, nil, raw.baseAddress, 0, nil)
        }
        guard finished != 0 else { throw pixelFailure(image) }
        return compositeOverWhite(rgba, width: width, height: height)
    }

    /// 16-bit files are read at 16 bits through the "linear" format.
    ///
    /// png.h on `PNG_IMAGE_FLAG_16BIT_sRGB`:
    /// > If the flag is not set (the default) input 16-bit per component data is assumed to
    /// > be linear.
    ///
    /// (when there is no gAMA or sRGB chunk). So without colour information the linear read
    /// hands back the stored samples untouched, which we take as sRGB values like every other
    /// decoder does. With a gAMA, sRGB or (sRGB) iCCP chunk libpng converts to linear light
    /// and `fromLinear` re-encodes. Linear output is premultiplied by alpha.
    // TODO: a 16-bit file whose only colour information is an iCCP profile libpng does not
    // recognise as sRGB is not linearised by libpng, yet is re-encoded here (too bright).
    private static func finishSixteenBit(_ image: inout png_image, width: Int, height: Int,
                                         fromLinear: Bool) throws(ImageError) -> RGBImage {
        image.format = facelet_png_format_linear_rgb_alpha
        var rgba = [UInt16](repeating: 0, count: 4 * width * height)
        let finished = rgba.withUnsafeMutableBytes { raw in
            png_image_finish_read(&image, nil, raw.baseAddress, 0, nil)
        }
        guard finished != 0 else { throw pixelFailure(image) }
        let count = width * height
        var pixels = [Float](repeating: 0, count: 3 * count)
        let scale: Float = 1 / 65535
        for index in 0..<count {
            let alpha = Float(rgba[4 * index + 3]) * scale
            for channel in 0..<3 {
                let premultiplied = Float(rgba[4 * index + channel]) * scale
                var value = alpha > 0 ? min(premultiplied / alpha, 1) : 0
                if fromLinear { value = encodeGamma(value) }
                pixels[channel * count + index] = value * alpha + (1 - alpha)
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Linear light to an encoded value, both in [0, 1], with the 1/2.2 power law. libpng's
    /// own gamma code models sRGB as that power (`PNG_GAMMA_sRGB`), so this undoes its
    /// linearisation of sRGB-tagged files: measured within 1.2/255 of the stored samples,
    /// where the exact sRGB curve was 8.6/255 off.
    static func encodeGamma(_ linear: Float) -> Float {
        pow(linear, 1 / 2.2)
    }

    private static func pixelFailure(_ image: png_image) -> ImageError {
        ImageError(.decodeFailed, "libpng could not decode the pixels: \(message(of: image)); "
                    + "the file is corrupt")
    }

    /// Encodes as an 8-bit RGB PNG (samples clamped to [0, 1] and rounded).
    static func encode(_ picture: RGBImage) throws(ImageError) -> Data {
        guard picture.width <= Int(Int32.max) / 3, picture.height <= Int(Int32.max) else {
            throw ImageError(.encodeFailed, "a \(picture.width)x\(picture.height) image is too "
                                + "large for PNG")
        }
        let rgb = picture.interleavedRGB8()
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.width = png_uint_32(picture.width)
        image.height = png_uint_32(picture.height)
        image.format = facelet_png_format_rgb
        defer { png_image_free(&image) }

        var size: png_alloc_size_t = 0
        let sized = rgb.withUnsafeBytes { raw in
            png_image_write_to_memory(&image, nil, &size, 0, raw.baseAddress, 0, nil)
        }
        guard sized != 0, size > 0 else {
            throw ImageError(.encodeFailed, "libpng could not size the PNG: \(message(of: image))")
        }
        var output = [UInt8](repeating: 0, count: Int(size))
        let written = output.withUnsafeMutableBytes { out in
            rgb.withUnsafeBytes { raw in
                png_image_write_to_memory(&image, out.baseAddress, &size, 0, raw.baseAddress, 0,
                                          nil)
            }
        }
        guard written != 0 else {
            throw ImageError(.encodeFailed, "libpng could not write the PNG: \(message(of: image))")
        }
        return Data(output[0..<Int(size)])
    }

    /// Straight (non-premultiplied) sRGB RGBA8 over a white background, in sRGB space.
    private static func compositeOverWhite(_ rgba: [UInt8], width: Int,
                                           height: Int) -> RGBImage {
        let count = width * height
        var pixels = [Float](repeating: 0, count: 3 * count)
        RGBImage.unitOfByte.withUnsafeBufferPointer { unit in
            rgba.withUnsafeBufferPointer { rgba in
                pixels.withUnsafeMutableBufferPointer { pixels in
                    for index in 0..<count {
                        let alpha = unit[Int(rgba[4 * index + 3])]
                        for channel in 0..<3 {
                            let value = unit[Int(rgba[4 * index + channel])]
                            pixels[channel * count + index] = value * alpha + (1 - alpha)
                        }
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// libpng's error text, a NUL-terminated `char[64]` inside the struct.
    private static func message(of image: png_image) -> String {
        withUnsafeBytes(of: image.message) { raw in
            let text = raw.prefix { $0 != 0 }
            return String(decoding: text, as: UTF8.self)
        }
    }
}
