/// What a JPEG's marker segments say before the codec sees the data: the frame size from the
/// SOF segment, where the Exif and Adobe segments are, and whether the stream reaches its EOI
/// marker. Walking the markers needs no pixel memory, so limits are enforced on a hostile
/// header before anything is allocated, and truncated files are told apart from corrupt ones.
struct JPEGStructure {
    /// How the marker walk ended.
    enum Ending: Equatable {
        /// An SOS segment was found and an EOI marker follows the entropy-coded data.
        case complete
        /// The data stops before the image does.
        case truncated
        /// The marker structure is broken; the text says how.
        case malformed(String)
    }

    /// Width from the first SOF segment, if one was reached.
    var width: Int?
    /// Height from the first SOF segment (0 would mean "in a DNL marker", which is refused).
    var height: Int?
    /// Why the frame cannot be decoded by the 8-bit TurboJPEG API, if it cannot.
    var unsupportedFrame: String?
    /// The TIFF data of the first `Exif\0\0` APP1 segment, as offsets into the file.
    var exif: Range<Int>?
    /// True if an Adobe APP14 segment is present (CMYK data is then stored inverted).
    var hasAdobe = false
    /// How the walk ended.
    var ending: Ending = .truncated

    /// Walks the markers of `bytes`, which must start with SOI (`FF D8`). Never traps.
    static func scan(_ bytes: [UInt8]) -> JPEGStructure {
        var result = JPEGStructure()
        let reader = ByteReader(bytes)
        guard reader.u8(0) == 0xFF, reader.u8(1) == 0xD8 else {
            result.ending = .malformed("the data does not start with a JPEG SOI marker")
            return result
        }
        var offset = 2
        while true {
            guard let prefix = reader.u8(offset) else { return result }
            guard prefix == 0xFF else {
                result.ending = .malformed("expected a JPEG marker at byte \(offset)")
                return result
            }
            // Any number of 0xFF fill bytes may precede a marker code.
            var codeOffset = offset + 1
            while reader.u8(codeOffset) == 0xFF { codeOffset += 1 }
            guard let marker = reader.u8(codeOffset) else { return result }
            offset = codeOffset + 1
            if marker == 0x01 || marker == 0xD8 || (0xD0...0xD7).contains(marker) { continue }
            if marker == 0xD9 {
                result.ending = .malformed("the JPEG ends (EOI) before any image data")
                return result
            }
            guard let length = reader.u16(offset).map(Int.init) else { return result }
            guard length >= 2 else {
                result.ending = .malformed("a JPEG segment at byte \(offset) has length \(length)")
                return result
            }
            let body = offset + 2, bodyEnd = offset + length
            if isStartOfFrame(marker), result.width == nil {
                guard let height = reader.u16(body + 1), let width = reader.u16(body + 3) else {
                    return result
                }
                result.width = Int(width)
                result.height = Int(height)
                if marker & 0x03 == 0x03 {
                    result.unsupportedFrame = "lossless JPEG is not supported"
                } else if let precision = reader.u8(body), precision != 8 {
                    result.unsupportedFrame = "\(precision)-bit JPEG is not supported"
                }
            }
            guard bodyEnd <= bytes.count else { return result }
            if marker == 0xE1, result.exif == nil,
               reader.matches(Array("Exif".utf8) + [0, 0], at: body) {
                result.exif = (body + 6)..<bodyEnd
            }
            if marker == 0xEE, reader.matches(Array("Adobe".utf8), at: body) {
                result.hasAdobe = true
            }
            if marker == 0xDA {
                guard result.width != nil else {
                    result.ending = .malformed("the JPEG has scan data before any frame header")
                    return result
                }
                result.ending = reachesEOI(bytes, from: bodyEnd) ? .complete : .truncated
                return result
            }
            offset = bodyEnd
        }
    }

    /// SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    private static func isStartOfFrame(_ marker: UInt8) -> Bool {
        (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
    }

    /// Entropy-coded data stuffs every 0xFF data byte as `FF 00`, so `FF D9` after the first
    /// scan can only be the end-of-image marker.
    private static func reachesEOI(_ bytes: [UInt8], from start: Int) -> Bool {
        guard start < bytes.count else { return false }
        var index = start
        while index + 1 < bytes.count {
            if bytes[index] == 0xFF && bytes[index + 1] == 0xD9 { return true }
            index += 1
        }
        return false
    }
}
