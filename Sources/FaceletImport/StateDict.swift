import FaceletPackage
import Foundation

/// One tensor of a checkpoint, under its original key, as contiguous little-endian row-major
/// bytes (strided views already gathered).
public struct StateTensor: Sendable, Equatable {
    /// The checkpoint's key, e.g. `features.0.weight`.
    public let key: String
    /// The element type in the checkpoint.
    public let dtype: TorchDType
    /// The shape, row-major.
    public let shape: [Int]
    /// `shape.product × dtype.size` bytes, little-endian, row-major (C order).
    public let bytes: Data

    /// Wraps contiguous bytes; `bytes.count` must be the element count × dtype size.
    public init(key: String, dtype: TorchDType, shape: [Int], bytes: Data) {
        precondition(shape.allSatisfy { $0 >= 0 }
                        && shape.reduce(1, *) * dtype.size == bytes.count,
                     "\(bytes.count) bytes do not hold \(shape) of \(dtype)")
        self.key = key
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// The values as a float32 package tensor named `name` (F16, BF16 exactly, F64 rounded).
    /// - Throws: `ImportError` `.unsupportedDtype` for integer tensors.
    public func packageTensor(named name: String) throws(ImportError) -> PackageTensor {
        guard let dtype = self.dtype.packageDType else {
            throw ImportError(.unsupportedDtype,
                              "\(key) holds \(self.dtype.rawValue) values; only float tensors"
                              + " can be weights", context: ["tensor.key": key])
        }
        let source = PackageTensor(name: name, dtype: dtype, shape: shape, bytes: bytes)
        guard dtype != .f32 else { return source }
        return PackageTensor.float32(name: name, shape: shape, values: source.floats())
    }
}

/// The tensors of a checkpoint in the order the file lists them.
public struct StateDict: Sendable {
    /// The tensors, in file order.
    public let tensors: [StateTensor]
    /// The key the state dict was found under (`state_dict`, `model`) when the file wraps it,
    /// nil when the file is the state dict itself.
    public let wrapperKey: String?

    /// Makes a state dict; keys must be unique.
    public init(tensors: [StateTensor], wrapperKey: String? = nil) {
        precondition(Set(tensors.map(\.key)).count == tensors.count, "duplicate state dict key")
        self.tensors = tensors
        self.wrapperKey = wrapperKey
    }

    /// The tensor under `key`, if present.
    public subscript(key: String) -> StateTensor? {
        tensors.first { $0.key == key }
    }

    /// The keys in file order.
    public var keys: [String] { tensors.map(\.key) }
}

/// Turns the pickle's result into a `StateDict`, reading each storage's bytes through `load`.
enum StateDictAssembler {
    /// Keys under which training scripts commonly wrap a state dict.
    static let wrapperKeys = ["state_dict", "model_state_dict", "model", "net"]

    static func assemble(_ root: PickleValue,
                         load: (StorageReference) throws(ImportError) -> Data)
        throws(ImportError) -> StateDict {
        guard case .dict(let pairs) = root else {
            throw ImportError(.notStateDict,
                              "the checkpoint holds a \(root.kind), not a dict of tensors; save"
                              + " model.state_dict()")
        }
        var entries = pairs
        var wrapper: String?
        let holdsTensors = pairs.contains { if case .tensor = $0.value { true } else { false } }
        if !holdsTensors {
            for key in wrapperKeys {
                if let inner = pairs.first(where: { pair in
                    if case .string(key) = pair.key { true } else { false }
                }), case .dict(let innerPairs) = inner.value {
                    entries = innerPairs
                    wrapper = key
                    break
                }
            }
        }
        var storages: [String: Data] = [:]
        var tensors: [StateTensor] = []
        var seen = Set<String>()
        for (keyValue, value) in entries {
            guard case .string(let key) = keyValue else {
                throw ImportError(.notStateDict,
                                  "a state dict key is a \(keyValue.kind), not a string")
            }
            guard case .tensor(let reference) = value else {
                throw ImportError(.notStateDict,
                                  "\"\(key.prefix(80))\" holds a \(value.kind), not a tensor;"
                                  + " save model.state_dict() alone",
                                  context: ["tensor.key": String(key.prefix(80))])
            }
            guard seen.insert(key).inserted else {
                throw ImportError(.notStateDict, "\"\(key.prefix(80))\" appears twice")
            }
            let storageKey = reference.storage.key
            let data: Data
            if let cached = storages[storageKey] {
                data = cached
            } else {
                data = try load(reference.storage)
                storages[storageKey] = data
            }
            tensors.append(try gather(reference, from: data, key: key))
        }
        return StateDict(tensors: tensors, wrapperKey: wrapper)
    }

    /// Copies a strided view out of a storage into contiguous row-major bytes.
    static func gather(_ reference: TensorReference, from storage: Data,
                       key: String) throws(ImportError) -> StateTensor {
        let dtype = reference.storage.dtype
        let size = dtype.size
        let context = ["tensor.key": String(key.prefix(80)), "storage.key": reference.storage.key]
        guard reference.shape.allSatisfy({ $0 >= 0 }), reference.strides.allSatisfy({ $0 >= 0 }),
              reference.offset >= 0 else {
            throw ImportError(.badStrides,
                              "\(key) has a negative size, stride or offset",
                              context: context)
        }
        // The element count and the last element the view touches, both overflow-checked.
        var count = 1
        var last = reference.offset
        for (dim, stride) in zip(reference.shape, reference.strides) {
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow, product <= Int.max / 16 else {
                throw ImportError(.badStrides, "\(key) has an element count that overflows",
                                  context: context)
            }
            count = product
            if dim > 0 {
                let (reach, o1) = (dim - 1).multipliedReportingOverflow(by: stride)
                let (sum, o2) = last.addingReportingOverflow(reach)
                guard !o1, !o2 else {
                    throw ImportError(.badStrides, "\(key) has strides that overflow",
                                      context: context)
                }
                last = sum
            }
        }
        guard count > 0 else {
            return StateTensor(key: key, dtype: dtype, shape: reference.shape, bytes: Data())
        }
        let available = storage.count / size
        guard last < reference.storage.count, last < available else {
            throw ImportError(.storageTooShort,
                              "\(key) reaches element \(last) of storage"
                              + " \(reference.storage.key), which holds"
                              + " \(min(reference.storage.count, available)) elements; the file"
                              + " is truncated or corrupt",
                              context: context)
        }
        let contiguous = Self.contiguousStrides(reference.shape) == reference.strides
        if contiguous {
            let begin = storage.startIndex + reference.offset * size
            return StateTensor(key: key, dtype: dtype, shape: reference.shape,
                               bytes: storage.subdata(in: begin..<(begin + count * size)))
        }
        var out = Data(count: count * size)
        let shape = reference.shape
        let strides = reference.strides
        storage.withUnsafeBytes { source in
            out.withUnsafeMutableBytes { target in
                guard let from = source.baseAddress, let to = target.baseAddress else { return }
                var index = [Int](repeating: 0, count: shape.count)
                for element in 0..<count {
                    var offset = reference.offset
                    for axis in 0..<shape.count { offset += index[axis] * strides[axis] }
                    (to + element * size).copyMemory(from: from + offset * size, byteCount: size)
                    var axis = shape.count - 1
                    while axis >= 0 {
                        index[axis] += 1
                        if index[axis] < shape[axis] { break }
                        index[axis] = 0
                        axis -= 1
                    }
                }
            }
        }
        return StateTensor(key: key, dtype: dtype, shape: shape, bytes: out)
    }

    /// Row-major strides of `shape`, in elements.
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in shape.indices.reversed() {
            strides[axis] = running
            running *= max(shape[axis], 1)
        }
        return strides
    }
}
