import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads and writes photos: PNG through libpng, JPEG through TurboJPEG.
public enum ImageCodec {
    /// Decodes PNG or JPEG data, recognised by its magic bytes, to an upright RGB image.
    ///
    /// Alpha is composited over white. A JPEG's EXIF orientation is applied. The header's
    /// size is checked against `limits` before any pixel memory is allocated.
    ///
    /// - Throws: `ImageError` with code `.notAnImage`, `.truncated`, `.tooLarge`,
    ///   `.tooSmall`, `.unsupported` or `.decodeFailed`.
    public static func decode(_ data: Data,
                              limits: DecodeLimits = .default) throws(ImageError) -> RGBImage {
        let bytes = [UInt8](data)
        guard !bytes.isEmpty else {
            throw ImageError(.notAnImage, "the file is empty; give a PNG or JPEG photo")
        }
        switch ImageFormat.sniff(bytes) {
        case .png:
            return try PNGCodec.decode(bytes, limits: limits)
        case .jpeg:
            let structure = JPEGStructure.scan(bytes)
            let stored = try JPEGCodec.decode(bytes, structure: structure, limits: limits)
            let orientation = Orientation.exifOrientation(in: bytes, structure: structure)
            return Orientation.apply(orientation, to: stored)
        case nil:
            throw unrecognised(bytes)
        }
    }

    /// Reads a file and decodes it as `decode(_:limits:)` does; errors carry the path.
    public static func decode(contentsOf url: URL,
                              limits: DecodeLimits = .default) throws(ImageError) -> RGBImage {
        // No PNG or JPEG within the pixel limit needs more than about 9 bytes a pixel (16-bit
        // RGBA stored uncompressed), so a bigger file is refused before it is read.
        let (budget, overflow) = limits.maxPixels.multipliedReportingOverflow(by: 9)
        if !overflow, let size = try? FileManager.default.attributesOfItem(atPath: url.path)[
            .size] as? Int, size > budget + (16 << 20) {
            throw ImageError(.tooLarge, "the file is \(size) bytes, more than any photo within "
                                + "the \(limits.maxPixels)-pixel limit needs", path: url.path)
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ImageError(.io, "cannot read the file: \(error.localizedDescription)",
                             path: url.path)
        }
        do {
            return try decode(data, limits: limits)
        } catch {
            throw error.at(url.path)
        }
    }

    /// Encodes as an 8-bit RGB PNG; samples are clamped to [0, 1] and rounded.
    public static func encodePNG(_ image: RGBImage) throws(ImageError) -> Data {
        try PNGCodec.encode(image)
    }

    /// Encodes as a baseline JPEG at `quality`; 4:4:4 chroma from 90 up, else 4:2:0.
    ///
    /// - Precondition: `quality` is in 1...100 (validate user input before calling).
    /// - Throws: `ImageError` `.encodeFailed` (e.g. a side longer than 65500 pixels).
    public static func encodeJPEG(_ image: RGBImage, quality: Int = 92) throws(ImageError) -> Data {
        try JPEGCodec.encode(image, quality: quality)
    }

    /// Writes `image` as PNG or JPEG (quality 92), chosen by the path's extension.
    ///
    /// The data goes to a temporary file in the same directory that is then renamed over
    /// `url`, so readers never see a half-written photo.
    public static func write(_ image: RGBImage, to url: URL) throws(ImageError) {
        let data: Data
        do {
            switch try ImageFormat.forOutputPath(url.path) {
            case .png: data = try encodePNG(image)
            case .jpeg: data = try encodeJPEG(image)
            }
        } catch {
            throw error.at(url.path)
        }
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try data.write(to: temporary)
        } catch {
            throw ImageError(.io, "cannot write the file: \(error.localizedDescription); "
                                + "check that the directory exists and is writable",
                             path: url.path)
        }
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw ImageError(.io, "cannot move the finished file into place: \(reason)",
                             path: url.path)
        }
    }

    /// The error for data that is neither PNG nor JPEG, naming what it looks like instead.
    private static func unrecognised(_ bytes: [UInt8]) -> ImageError {
        if ImageFormat.isPrefixOfMagic(bytes) {
            return ImageError(.truncated, "the file stops after \(bytes.count) bytes, inside "
                                + "the image signature; the file is incomplete")
        }
        let others: [(String, [UInt8])] = [
            ("GIF", Array("GIF8".utf8)), ("BMP", Array("BM".utf8)),
            ("TIFF", Array("II*".utf8) + [0]), ("TIFF", Array("MM".utf8) + [0, 42]),
        ]
        for (name, magic) in others where bytes.starts(with: magic) {
            return ImageError(.unsupported, "\(name) files are not supported; convert the "
                                + "photo to PNG or JPEG")
        }
        let reader = ByteReader(bytes)
        if reader.matches(Array("RIFF".utf8), at: 0), reader.matches(Array("WEBP".utf8), at: 8) {
            return ImageError(.unsupported, "WebP files are not supported; convert the photo "
                                + "to PNG or JPEG")
        }
        if reader.matches(Array("ftyp".utf8), at: 4) {
            return ImageError(.unsupported, "HEIF/AVIF files are not supported; convert the "
                                + "photo to PNG or JPEG")
        }
        let head = bytes.prefix(512)
        let looksLikeText = head.allSatisfy { $0 == 9 || $0 == 10 || $0 == 13 || $0 >= 32 }
        let what = looksLikeText ? "it looks like a text file" : "its first bytes match neither"
        return ImageError(.notAnImage, "the data is not a PNG or JPEG image (\(what)); "
                            + "give a PNG or JPEG photo")
    }
}
