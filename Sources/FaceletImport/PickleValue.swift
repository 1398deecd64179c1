/// A value the restricted pickle reader produced: only what a PyTorch state dict needs.
///
/// Containers are reference types while the stream is read (pickle mutates memoised lists and
/// dicts after creating them); `PickleMachine` turns the finished result into these values.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case list([PickleValue])
    case tuple([PickleValue])
    /// A dict or OrderedDict, keys in insertion order.
    case dict([(key: PickleValue, value: PickleValue)])
    /// An allow-listed global, not yet called (`collections.OrderedDict`, a storage class, …).
    case global(AllowedGlobal)
    /// A storage named by a persistent id.
    case storage(StorageReference)
    /// A tensor view on a storage (`_rebuild_tensor_v2` / `_rebuild_parameter`).
    case tensor(TensorReference)

    /// A short name of the value's kind for error messages.
    var kind: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .string: "str"
        case .bytes: "bytes"
        case .list: "list"
        case .tuple: "tuple"
        case .dict: "dict"
        case .global(let global): global.qualifiedName
        case .storage: "storage"
        case .tensor: "tensor"
        }
    }
}

/// The only globals a checkpoint's pickle may name. Everything else is refused.
enum AllowedGlobal: Equatable {
    /// `collections.OrderedDict`: called with no arguments (or one list of pairs).
    case orderedDict
    /// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks…)`.
    case rebuildTensorV2
    /// `torch._utils._rebuild_tensor(storage, offset, size, stride)` (PyTorch 0.3 files).
    case rebuildTensor
    /// `torch._utils._rebuild_parameter(tensor, requires_grad, hooks)`.
    case rebuildParameter
    /// A typed storage class such as `torch.FloatStorage`; only valid inside a persistent id.
    case storageType(TorchDType)

    /// Resolves `module.name` against the allow-list.
    init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
        case ("torch._utils", "_rebuild_tensor"): self = .rebuildTensor
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch", _):
            guard name.hasSuffix("Storage"),
                  let dtype = TorchDType(storageClass: String(name.dropLast(7))) else {
                return nil
            }
            self = .storageType(dtype)
        default: return nil
        }
    }

    /// `module.name` as Python spells it.
    var qualifiedName: String {
        switch self {
        case .orderedDict: "collections.OrderedDict"
        case .rebuildTensorV2: "torch._utils._rebuild_tensor_v2"
        case .rebuildTensor: "torch._utils._rebuild_tensor"
        case .rebuildParameter: "torch._utils._rebuild_parameter"
        case .storageType(let dtype): "torch.\(dtype.storageClass)Storage"
        }
    }
}

/// A storage named by a checkpoint's persistent id `("storage", type, key, location, numel)`.
struct StorageReference: Equatable {
    /// The element type.
    let dtype: TorchDType
    /// The storage's key: the entry `data/<key>` of a zip checkpoint.
    let key: String
    /// The number of elements the pickle says the storage holds.
    let count: Int
}

/// A tensor as the pickle describes it: a strided view on a storage.
struct TensorReference: Equatable {
    let storage: StorageReference
    /// Offset into the storage, in elements.
    let offset: Int
    let shape: [Int]
    /// Strides in elements.
    let strides: [Int]
}
