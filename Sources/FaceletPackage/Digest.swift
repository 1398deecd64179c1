import Foundation

/// A SHA-256 digest, written `sha256:<64 lowercase hex digits>`.
///
/// Used for tensor hashes, content digests of packages and the backbone binding of a bank.
public struct Digest: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    /// The 64 lowercase hex digits.
    public let hex: String

    /// Wraps 64 lowercase hex digits that are known to be well formed.
    init(validHex: String) {
        precondition(Digest.isHex64(validHex), "not 64 lowercase hex digits: \(validHex)")
        hex = validHex
    }

    /// Parses `sha256:<hex>` or bare 64-digit hex (lowercase; uppercase is refused so a digest
    /// has exactly one spelling).
    /// - Throws: `PackageError` with code `.badDigest`.
    public init(parsing text: String) throws(PackageError) {
        let body = text.hasPrefix("sha256:") ? String(text.dropFirst(7)) : text
        guard Digest.isHex64(body) else {
            throw PackageError(.badDigest,
                               "a digest is \"sha256:\" followed by 64 lowercase hex digits",
                               context: ["digest.text": String(text.prefix(80))])
        }
        hex = body
    }

    /// The SHA-256 of `data`.
    public static func sha256(_ data: Data) -> Digest {
        var hasher = SHA256Hasher()
        hasher.update(data)
        return hasher.finalize()
    }

    /// The SHA-256 of the bytes in `bytes`.
    public static func sha256(_ bytes: UnsafeRawBufferPointer) -> Digest {
        var hasher = SHA256Hasher()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// `sha256:<hex>`.
    public var description: String { "sha256:" + hex }

    /// The first 12 hex digits, for display.
    public var short: String { String(hex.prefix(12)) }

    /// Orders by the hex digits.
    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.hex < rhs.hex }

    /// Decodes from the `sha256:<hex>` string form.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: error.message))
        }
    }

    /// Encodes as the `sha256:<hex>` string form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Whether `text` is exactly 64 lowercase hex digits.
    static func isHex64(_ text: String) -> Bool {
        let utf8 = text.utf8
        return utf8.count == 64
            && utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// Lowercase hex of raw digest bytes.
    static func hexString<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
