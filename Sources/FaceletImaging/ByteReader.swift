/// Bounds-checked big- and little-endian reads from a byte array; every read returns nil
/// instead of trapping when it would run past the end.
struct ByteReader {
    let bytes: [UInt8]
    /// Reads are relative to this offset in `bytes`.
    let base: Int
    /// Reads are confined to `base ..< end`.
    let end: Int
    /// True for big-endian ("MM") multi-byte values.
    var bigEndian: Bool

    init(_ bytes: [UInt8], base: Int = 0, end: Int? = nil, bigEndian: Bool = true) {
        self.bytes = bytes
        self.base = max(0, min(base, bytes.count))
        self.end = max(self.base, min(end ?? bytes.count, bytes.count))
        self.bigEndian = bigEndian
    }

    /// The number of readable bytes.
    var count: Int { end - base }

    /// True if `length` bytes can be read starting `offset` bytes past `base`.
    func has(_ offset: Int, _ length: Int) -> Bool {
        guard offset >= 0, length >= 0 else { return false }
        let (stop, overflow) = offset.addingReportingOverflow(length)
        return !overflow && stop <= count
    }

    func u8(_ offset: Int) -> UInt8? {
        guard has(offset, 1) else { return nil }
        return bytes[base + offset]
    }

    func u16(_ offset: Int) -> UInt16? {
        guard has(offset, 2) else { return nil }
        let first = UInt16(bytes[base + offset]), second = UInt16(bytes[base + offset + 1])
        return bigEndian ? first << 8 | second : second << 8 | first
    }

    func u32(_ offset: Int) -> UInt32? {
        guard let first = u16(offset), let second = u16(offset + 2) else { return nil }
        return bigEndian
            ? UInt32(first) << 16 | UInt32(second) : UInt32(second) << 16 | UInt32(first)
    }

    /// True if the bytes at `offset` equal `expected`.
    func matches(_ expected: [UInt8], at offset: Int) -> Bool {
        guard has(offset, expected.count) else { return false }
        return bytes[(base + offset)..<(base + offset + expected.count)].elementsEqual(expected)
    }
}
