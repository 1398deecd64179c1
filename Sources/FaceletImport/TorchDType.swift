import FaceletPackage

/// The element types a PyTorch storage may have that the importer can read.
public enum TorchDType: String, Sendable, CaseIterable {
    /// `torch.float32`.
    case float32
    /// `torch.float16`.
    case float16
    /// `torch.bfloat16`.
    case bfloat16
    /// `torch.float64`.
    case float64
    /// `torch.int64` (e.g. BatchNorm's `num_batches_tracked`; never a weight).
    case int64
    /// `torch.int32`.
    case int32
    /// `torch.uint8`.
    case uint8
    /// `torch.bool`.
    case bool

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float64, .int64: 8
        case .float32, .int32: 4
        case .float16, .bfloat16: 2
        case .uint8, .bool: 1
        }
    }

    /// The package dtype the values can be stored as, or nil for integer types.
    public var packageDType: DType? {
        switch self {
        case .float32: .f32
        case .float16: .f16
        case .bfloat16: .bf16
        case .float64: .f64
        case .int64, .int32, .uint8, .bool: nil
        }
    }

    /// The safetensors spelling (`F32`, `I64`, …).
    public var safetensorsName: String {
        switch self {
        case .float32: "F32"
        case .float16: "F16"
        case .bfloat16: "BF16"
        case .float64: "F64"
        case .int64: "I64"
        case .int32: "I32"
        case .uint8: "U8"
        case .bool: "BOOL"
        }
    }

    /// The prefix of the storage class name (`Float` for `torch.FloatStorage`).
    var storageClass: String {
        switch self {
        case .float32: "Float"
        case .float16: "Half"
        case .bfloat16: "BFloat16"
        case .float64: "Double"
        case .int64: "Long"
        case .int32: "Int"
        case .uint8: "Byte"
        case .bool: "Bool"
        }
    }

    /// Resolves a storage class prefix (`Float`, `Half`, …).
    init?(storageClass: String) {
        guard let match = Self.allCases.first(where: { $0.storageClass == storageClass }) else {
            return nil
        }
        self = match
    }

    /// Resolves a safetensors dtype name.
    init?(safetensorsName: String) {
        guard let match = Self.allCases.first(where: { $0.safetensorsName == safetensorsName })
        else { return nil }
        self = match
    }
}
