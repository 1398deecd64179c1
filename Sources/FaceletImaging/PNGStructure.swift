/// What the PNG chunk layout says before libpng sees the data: the declared size, and whether
/// the stream reaches its IEND chunk. Walking the chunks needs no pixel memory, so limits are
/// enforced on a hostile header before anything is allocated.
struct PNGStructure {
    /// The eight bytes every PNG starts with.
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Width declared by IHDR.
    let width: Int
    /// Height declared by IHDR.
    let height: Int
    /// Bits per sample (1, 2, 4, 8 or 16) declared by IHDR.
    let bitDepth: Int

    /// Reads IHDR; throws `.truncated` if the data stops inside the signature or IHDR.
    static func header(_ bytes: [UInt8]) throws(ImageError) -> PNGStructure {
        let reader = ByteReader(bytes)
        guard reader.has(0, 33) else {
            throw ImageError(.truncated, "the PNG file ends inside its header "
                                + "(\(bytes.count) bytes); the file is incomplete")
        }
        guard reader.u32(8) == 13, reader.matches(Array("IHDR".utf8), at: 12),
              let width = reader.u32(16), let height = reader.u32(20),
              let bitDepth = reader.u8(24) else {
            throw ImageError(.decodeFailed, "the PNG file does not start with an IHDR chunk; "
                                + "it is corrupt")
        }
        // PNG sizes are at most 2^31 - 1; larger values are corrupt, and Int holds them anyway.
        return PNGStructure(width: Int(width), height: Int(height), bitDepth: Int(bitDepth))
    }

    /// Walks the chunks after IHDR; throws `.truncated` unless a complete IEND chunk is found.
    ///
    /// - Returns: true if the file states how its samples are encoded (a gAMA, sRGB or iCCP
    ///   chunk), which makes libpng's simplified API convert from that encoding.
    static func checkComplete(_ bytes: [UInt8]) throws(ImageError) -> Bool {
        let reader = ByteReader(bytes)
        let encodingChunks = ["gAMA", "sRGB", "iCCP"].map { Array($0.utf8) }
        var statesEncoding = false
        var offset = 8
        while reader.has(offset, 8) {
            guard let length = reader.u32(offset), length <= 0x7FFF_FFFF else {
                throw ImageError(.decodeFailed, "a PNG chunk at byte \(offset) declares an "
                                    + "impossible length; the file is corrupt")
            }
            let chunkEnd = offset + 12 + Int(length)
            guard chunkEnd <= bytes.count else { break }
            if reader.matches(Array("IEND".utf8), at: offset + 4) { return statesEncoding }
            if encodingChunks.contains(where: { reader.matches($0, at: offset + 4) }) {
                statesEncoding = true
            }
            offset = chunkEnd
        }
        throw ImageError(.truncated, "the PNG file ends at byte \(bytes.count) before its "
                            + "IEND chunk; the file is incomplete (an interrupted download?)")
    }
}
