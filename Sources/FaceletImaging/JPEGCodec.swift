import CTurboJPEG
import Foundation

/// JPEG through TurboJPEG's `tj*` 2.x API (libjpeg-turbo 2.1 on Debian 12).
///
/// See https://libjpeg-turbo.org/Documentation/Documentation (TurboJPEG C API).
enum JPEGCodec {
    /// Decodes a baseline or progressive JPEG (YCbCr, RGB, gray, CMYK or YCCK) to RGB, without
    /// applying EXIF orientation (the caller does that).
    static func decode(_ bytes: [UInt8], structure: JPEGStructure,
                       limits: DecodeLimits) throws(ImageError) -> RGBImage {
        if let width = structure.width, let height = structure.height {
            try limits.check(width: width, height: height, format: .jpeg)
        }
        if let why = structure.unsupportedFrame {
            throw ImageError(.unsupported, "\(why); save the photo as an ordinary 8-bit JPEG "
                                + "or as PNG")
        }
        switch structure.ending {
        case .complete: break
        case .truncated:
            throw ImageError(.truncated, "the JPEG file ends at byte \(bytes.count) before its "
                                + "image does; the file is incomplete (an interrupted download?)")
        case .malformed(let why):
            throw ImageError(.decodeFailed, "\(why); the file is corrupt")
        }
        guard let handle = TurboJPEGHandle(decompress: true) else {
            throw ImageError(.decodeFailed, "TurboJPEG could not start a decompressor")
        }

        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let headerStatus = bytes.withUnsafeBufferPointer { buffer in
            tjDecompressHeader3(handle.raw, buffer.baseAddress, UInt(buffer.count), &width,
                                &height, &subsampling, &colorspace)
        }
        guard headerStatus == 0 else {
            throw ImageError(.decodeFailed, "TurboJPEG rejected the header: \(handle.lastError)")
        }
        try limits.check(width: Int(width), height: Int(height), format: .jpeg)

        let isCMYK = colorspace == Int32(TJCS_CMYK.rawValue)
            || colorspace == Int32(TJCS_YCCK.rawValue)
        let format = isCMYK ? TJPF_CMYK : TJPF_RGB
        let channels = isCMYK ? 4 : 3
        var samples = [UInt8](repeating: 0, count: channels * Int(width) * Int(height))
        // TJFLAG_LIMITSCANS refuses progressive files with absurd scan counts (a known
        // denial-of-service shape). Warnings (e.g. "extraneous bytes before marker") still
        // give an image, as in most viewers; they make tjDecompress2 return -1 with
        // tjGetErrorCode == TJERR_WARNING.
        let flags = TJFLAG_ACCURATEDCT | TJFLAG_LIMITSCANS
        let status = samples.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { buffer in
                tjDecompress2(handle.raw, buffer.baseAddress, UInt(buffer.count),
                              out.baseAddress, width, 0, height, Int32(format.rawValue),
                              Int32(flags))
            }
        }
        if status != 0 && tjGetErrorCode(handle.raw) != Int32(TJERR_WARNING.rawValue) {
            throw ImageError(.decodeFailed, "TurboJPEG could not decode the pixels: "
                                + "\(handle.lastError); the file is corrupt or unsupported")
        }
        if isCMYK {
            return cmykToRGB(samples, width: Int(width), height: Int(height),
                             inverted: structure.hasAdobe)
        }
        return samples.withUnsafeBufferPointer { buffer in
            RGBImage(width: Int(width), height: Int(height), interleavedRGB8: buffer)
        }
    }

    /// Encodes as a baseline JPEG; chroma is kept at full resolution (4:4:4) from quality 90
    /// up and halved both ways (4:2:0) below.
    static func encode(_ picture: RGBImage, quality: Int) throws(ImageError) -> Data {
        precondition((1...100).contains(quality), "JPEG quality must be in 1...100")
        guard picture.width <= 65_500, picture.height <= 65_500 else {
            throw ImageError(.encodeFailed, "JPEG allows at most 65500 pixels a side; this "
                                + "image is \(picture.width)x\(picture.height); write PNG")
        }
        guard let handle = TurboJPEGHandle(decompress: false) else {
            throw ImageError(.encodeFailed, "TurboJPEG could not start a compressor")
        }
        let rgb = picture.interleavedRGB8()
        let subsampling = quality >= 90 ? TJSAMP_444 : TJSAMP_420
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        defer { if let output { tjFree(output) } }
        let status = rgb.withUnsafeBufferPointer { buffer in
            tjCompress2(handle.raw, buffer.baseAddress, Int32(picture.width), 0,
                        Int32(picture.height), Int32(TJPF_RGB.rawValue), &output, &size,
                        Int32(subsampling.rawValue), Int32(quality), Int32(TJFLAG_ACCURATEDCT))
        }
        guard status == 0, let output else {
            throw ImageError(.encodeFailed, "TurboJPEG could not encode: \(handle.lastError)")
        }
        return Data(bytes: output, count: Int(size))
    }

    /// CMYK to RGB as `R = (1 - C)(1 - K)`. Adobe-marked files (what Photoshop and libjpeg
    /// write) store the inks inverted, so there `R = C * K`.
    private static func cmykToRGB(_ cmyk: [UInt8], width: Int, height: Int,
                                  inverted: Bool) -> RGBImage {
        let count = width * height
        var pixels = [Float](repeating: 0, count: 3 * count)
        let unit = RGBImage.unitOfByte
        for index in 0..<count {
            // Inverted storage holds 1 - ink, which is what R = (1 - C)(1 - K) needs.
            let black = unit[Int(inverted ? cmyk[4 * index + 3] : 255 - cmyk[4 * index + 3])]
            for channel in 0..<3 {
                let stored = cmyk[4 * index + channel]
                pixels[channel * count + index] = unit[Int(inverted ? stored : 255 - stored)]
                    * black
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
