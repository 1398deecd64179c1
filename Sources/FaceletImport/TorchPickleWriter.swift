import Foundation

/// Writes the protocol-2 pickle of a PyTorch state dict: an `OrderedDict` of
/// `torch._utils._rebuild_tensor_v2` calls on storages named by persistent ids
/// `("storage", torch.<Type>Storage, "<index>", "cpu", numel)`, one storage per tensor.
///
/// Only the globals `torch.load(weights_only=True)` allows appear.
struct TorchPickleWriter {
    private(set) var bytes: [UInt8] = [0x80, 0x02]  // PROTO 2

    /// The pickle of `tensors` (key, dtype, shape); tensor `i` uses storage key `"i"`.
    static func stateDict(_ tensors: [(key: String, dtype: TorchDType, shape: [Int])]) -> [UInt8] {
        var writer = TorchPickleWriter()
        writer.global("collections", "OrderedDict")
        writer.op(0x29)  // EMPTY_TUPLE
        writer.op(0x52)  // REDUCE
        if !tensors.isEmpty {
            writer.op(0x28)  // MARK
            for (index, tensor) in tensors.enumerated() {
                writer.string(tensor.key)
                writer.rebuildTensor(storageKey: String(index), dtype: tensor.dtype,
                                     shape: tensor.shape)
            }
            writer.op(0x75)  // SETITEMS
        }
        writer.op(0x2e)  // STOP
        return writer.bytes
    }

    private mutating func rebuildTensor(storageKey: String, dtype: TorchDType, shape: [Int]) {
        global("torch._utils", "_rebuild_tensor_v2")
        op(0x28)  // MARK: the argument tuple
        op(0x28)  // MARK: the persistent id
        string("storage")
        global("torch", dtype.storageClass + "Storage")
        string(storageKey)
        string("cpu")
        int(shape.reduce(1, *))
        op(0x74)  // TUPLE
        op(0x51)  // BINPERSID
        int(0)  // storage offset
        tuple(shape)
        tuple(StateDictAssembler.contiguousStrides(shape))
        op(0x89)  // NEWFALSE: requires_grad
        global("collections", "OrderedDict")
        op(0x29)
        op(0x52)  // backward hooks: OrderedDict()
        op(0x74)  // TUPLE
        op(0x52)  // REDUCE
    }

    private mutating func op(_ code: UInt8) {
        bytes.append(code)
    }

    private mutating func global(_ module: String, _ name: String) {
        op(0x63)
        bytes += Array(module.utf8) + [0x0a] + Array(name.utf8) + [0x0a]
    }

    private mutating func string(_ text: String) {
        let utf8 = Array(text.utf8)
        op(0x58)  // BINUNICODE
        withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { bytes += $0 }
        bytes += utf8
    }

    private mutating func int(_ value: Int) {
        switch value {
        case 0..<256:
            bytes += [0x4b, UInt8(value)]  // BININT1
        case 256..<65536:
            op(0x4d)  // BININT2
            withUnsafeBytes(of: UInt16(value).littleEndian) { bytes += $0 }
        case Int(Int32.min)...Int(Int32.max):
            op(0x4a)  // BININT
            withUnsafeBytes(of: Int32(value).littleEndian) { bytes += $0 }
        default:
            bytes += [0x8a, 8]  // LONG1, 8 bytes
            withUnsafeBytes(of: Int64(value).littleEndian) { bytes += $0 }
        }
    }

    private mutating func tuple(_ values: [Int]) {
        guard !values.isEmpty else { return op(0x29) }  // EMPTY_TUPLE
        op(0x28)
        for value in values { int(value) }
        op(0x74)
    }
}
