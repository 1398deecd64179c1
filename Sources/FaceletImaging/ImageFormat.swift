/// The file formats this module reads and writes.
public enum ImageFormat: String, Sendable, CaseIterable {
    /// PNG (read: 1–16 bit, gray, palette, RGB, with or without alpha; write: 8-bit RGB).
    case png
    /// JPEG / JFIF (read: baseline, progressive, gray, CMYK; write: baseline YCbCr).
    case jpeg

    /// The format to write for a path, chosen by its extension (case-insensitive):
    /// `.png` gives PNG, `.jpg` / `.jpeg` give JPEG.
    ///
    /// - Throws: `ImageError` with code `.unsupported` for any other extension.
    public static func forOutputPath(_ path: String) throws(ImageError) -> ImageFormat {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else {
            throw ImageError(.unsupported,
                             "the output name has no extension; end it in .png, .jpg or .jpeg",
                             path: path)
        }
        switch name[name.index(after: dot)...].lowercased() {
        case "png": return .png
        case "jpg", "jpeg": return .jpeg
        case let other:
            throw ImageError(.unsupported,
                             "cannot write .\(other) files; end the output name in .png, "
                                + ".jpg or .jpeg", path: path)
        }
    }

    /// The format whose magic bytes start `bytes`, or nil.
    static func sniff(_ bytes: [UInt8]) -> ImageFormat? {
        if bytes.starts(with: PNGStructure.signature) { return .png }
        if bytes.count >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF {
            return .jpeg
        }
        return nil
    }

    /// True if `bytes` is a proper, non-empty prefix of some format's magic bytes.
    static func isPrefixOfMagic(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty else { return false }
        return PNGStructure.signature.starts(with: bytes) || [0xFF, 0xD8, 0xFF].starts(with: bytes)
    }
}

/// Limits checked against an image's header before any pixel memory is allocated.
public struct DecodeLimits: Sendable, Equatable {
    /// The most pixels (`width * height`) an image may have; larger ones give `.tooLarge`.
    public var maxPixels: Int = 40_000_000
    /// The shortest side allowed; smaller ones give `.tooSmall`.
    public var minSide: Int = 1

    /// Makes limits; the defaults accept any photo up to 40 megapixels.
    public init(maxPixels: Int = 40_000_000, minSide: Int = 1) {
        self.maxPixels = maxPixels
        self.minSide = minSide
    }

    /// 40 megapixels at most, any side of at least one pixel.
    public static let `default` = DecodeLimits()

    /// Throws unless a `width` x `height` image fits; safe for any header values.
    func check(width: Int, height: Int, format: ImageFormat) throws(ImageError) {
        guard width > 0, height > 0 else {
            throw ImageError(.decodeFailed,
                             "the \(format.rawValue) header declares a \(width)x\(height) image")
        }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= maxPixels else {
            throw ImageError(.tooLarge,
                             "the image is \(width)x\(height), more than the \(maxPixels) "
                                + "pixels allowed; shrink it first or raise the limit")
        }
        guard min(width, height) >= minSide else {
            throw ImageError(.tooSmall,
                             "the image is \(width)x\(height); each side must be at least "
                                + "\(minSide) pixels")
        }
    }
}
