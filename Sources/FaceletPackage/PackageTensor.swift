import Foundation

/// The element types a package may store (safetensors spelling).
public enum DType: String, Codable, Sendable {
    /// IEEE 754 binary32; everything Facelet writes.
    case f32 = "F32"
    /// IEEE 754 binary16.
    case f16 = "F16"
    /// bfloat16 (the upper half of a binary32).
    case bf16 = "BF16"
    /// IEEE 754 binary64.
    case f64 = "F64"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        case .f64: 8
        }
    }
}

/// One tensor of a package: name, element type, shape and the raw little-endian row-major bytes
/// exactly as stored, with their SHA-256.
public struct PackageTensor: Sendable, Equatable {
    /// The tensor's name, e.g. `relu4_1.0.weight`.
    public let name: String
    /// The stored element type.
    public let dtype: DType
    /// The shape, row-major (C order); `[]` is a scalar.
    public let shape: [Int]
    /// The stored bytes: little-endian, row-major.
    public let bytes: Data
    /// SHA-256 of `bytes`.
    public let sha256: Digest

    /// Wraps stored bytes; `bytes.count` must equal the element count × dtype size.
    public init(name: String, dtype: DType, shape: [Int], bytes: Data) {
        self.init(name: name, dtype: dtype, shape: shape, bytes: bytes,
                  sha256: Digest.sha256(bytes))
    }

    /// Wraps stored bytes whose SHA-256 the caller has just computed itself (a registry client
    /// hashes a blob as it downloads it), so they are not hashed a second time. Passing a
    /// digest that is not the bytes' SHA-256 is a programmer error.
    public init(name: String, dtype: DType, shape: [Int], bytes: Data, verifiedSHA256: Digest) {
        self.init(name: name, dtype: dtype, shape: shape, bytes: bytes, sha256: verifiedSHA256)
    }

    /// Wraps stored bytes whose SHA-256 is already known.
    init(name: String, dtype: DType, shape: [Int], bytes: Data, sha256: Digest) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(Self.elementCount(shape).map { $0 * dtype.size } == bytes.count,
                     "\(bytes.count) bytes do not hold \(shape) of \(dtype.rawValue)")
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes.startIndex == 0 ? bytes : Data(bytes)  // rebase slices
        self.sha256 = sha256
    }

    /// A float32 tensor from values in row-major order; `values.count` must match `shape`.
    public static func float32(name: String, shape: [Int], values: [Float]) -> PackageTensor {
        precondition(elementCount(shape) == values.count,
                     "\(values.count) values do not fill shape \(shape)")
        let bytes: Data
        if UInt32(1).littleEndian == 1 {
            // Little-endian host: the floats' memory is already the stored byte order.
            bytes = values.withUnsafeBytes { Data($0) }
        } else {
            var swapped = Data(capacity: values.count * 4)
            for value in values {
                withUnsafeBytes(of: value.bitPattern.littleEndian) { swapped.append(contentsOf: $0) }
            }
            bytes = swapped
        }
        return PackageTensor(name: name, dtype: .f32, shape: shape, bytes: bytes)
    }

    /// The number of elements (the product of the shape).
    public var elementCount: Int { bytes.count / dtype.size }

    /// The values as float32, row-major; F16, BF16 and F64 are converted (F64 rounds to nearest).
    public func floats() -> [Float] {
        let count = elementCount
        return bytes.withUnsafeBytes { raw in
            [Float](unsafeUninitializedCapacity: count) { out, initialized in
                if dtype == .f32, UInt32(1).littleEndian == 1, let source = raw.baseAddress,
                   let target = out.baseAddress {
                    // Little-endian host: the stored bytes are the floats.
                    UnsafeMutableRawPointer(target).copyMemory(from: source, byteCount: count * 4)
                } else {
                    var index = 0
                    while index < count {
                        out[index] = Self.element(raw, at: index, dtype: dtype)
                        index += 1
                    }
                }
                initialized = count
            }
        }
    }

    /// Element `index` of little-endian `raw` as a Float.
    static func element(_ raw: UnsafeRawBufferPointer, at index: Int, dtype: DType) -> Float {
        switch dtype {
        case .f32:
            let bits = raw.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)
            return Float(bitPattern: UInt32(littleEndian: bits))
        case .f16:
            let bits = raw.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)
            return halfToFloat(UInt16(littleEndian: bits))
        case .bf16:
            let bits = raw.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)
            return Float(bitPattern: UInt32(UInt16(littleEndian: bits)) << 16)
        case .f64:
            let bits = raw.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)
            return Float(Double(bitPattern: UInt64(littleEndian: bits)))
        }
    }

    /// Whether element `index` is finite, judged in the stored type.
    static func isFinite(_ raw: UnsafeRawBufferPointer, at index: Int, dtype: DType) -> Bool {
        switch dtype {
        case .f32:
            let bits = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: index * 4,
                                                              as: UInt32.self))
            return bits & 0x7f80_0000 != 0x7f80_0000
        case .f16:
            let bits = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: index * 2,
                                                              as: UInt16.self))
            return bits & 0x7c00 != 0x7c00
        case .bf16:
            let bits = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: index * 2,
                                                              as: UInt16.self))
            return bits & 0x7f80 != 0x7f80
        case .f64:
            let bits = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index * 8,
                                                              as: UInt64.self))
            return bits & 0x7ff0_0000_0000_0000 != 0x7ff0_0000_0000_0000
        }
    }

    /// IEEE binary16 bits → Float (exact: every half is a float).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = Int((h >> 10) & 0x1f)
        let mantissa = UInt32(h & 0x3ff)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa × 2^-24.
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign == 0 ? magnitude : -magnitude
        case 31:
            return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13))
        default:
            return Float(bitPattern: sign | UInt32(exponent + 112) << 23 | (mantissa << 13))
        }
    }

    /// The product of `shape`, or nil when a dimension is negative or the product overflows.
    public static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for dim in shape {
            guard dim >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }

    /// The bytes a tensor of `shape` and `dtype` holds, or nil when a dimension is negative
    /// or the size overflows.
    public static func byteCount(shape: [Int], dtype: DType) -> Int? {
        guard let count = elementCount(shape) else { return nil }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.size)
        return overflow ? nil : bytes
    }
}
