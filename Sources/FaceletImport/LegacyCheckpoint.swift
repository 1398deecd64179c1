import Foundation

/// The pre-zip `torch.save` format (PyTorch < 1.6, or `_use_new_zipfile_serialization=False`):
/// five pickles back to back (magic number, protocol 1001, system info, the state dict with
/// persistent ids, the list of storage keys), then each storage in that order as an 8-byte
/// little-endian element count followed by its raw bytes.
///
/// The much older tar format (PyTorch 0.1) is not read.
enum LegacyCheckpoint {
    /// `pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2)`: the format's magic number.
    static let magicPickle: [UInt8] = [128, 2, 138, 10, 108, 252, 156, 70, 249, 32, 106, 168,
                                       80, 25, 46]

    static func read(_ bytes: [UInt8]) throws(ImportError) -> StateDict {
        guard bytes.starts(with: magicPickle) else {
            throw ImportError(.unknownFormat,
                              "the file starts like a pickle but lacks PyTorch's magic number;"
                              + " it may be the tar format of PyTorch 0.1, which is not read")
        }
        var offset = magicPickle.count
        var machine = PickleMachine(bytes: bytes, offset: offset)
        let (version, afterVersion) = try machine.run()
        guard case .int(1001) = version else {
            throw ImportError(.badPickle, "legacy checkpoint protocol \(version.kind) is not 1001")
        }
        machine = PickleMachine(bytes: bytes, offset: afterVersion)
        let (systemInfo, afterInfo) = try machine.run()
        try checkLittleEndian(systemInfo)
        machine = PickleMachine(bytes: bytes, offset: afterInfo)
        let (root, afterRoot) = try machine.run()
        machine = PickleMachine(bytes: bytes, offset: afterRoot)
        let (keyList, afterKeys) = try machine.run()
        guard case .list(let keyValues) = keyList else {
            throw ImportError(.badPickle, "the legacy storage key list is not a list")
        }
        var keys: [String] = []
        for value in keyValues {
            guard case .string(let key) = value else {
                throw ImportError(.badPickle, "a legacy storage key is not a string")
            }
            keys.append(key)
        }

        // The storages follow in key order; each one's dtype comes from its persistent id.
        var dtypes: [String: StorageReference] = [:]
        collectStorages(root, into: &dtypes)
        var storages: [String: Data] = [:]
        offset = afterKeys
        for key in keys {
            guard let reference = dtypes[key] else {
                throw ImportError(.badPickle, "storage \(key) is listed but never used",
                                  context: ["storage.key": key])
            }
            guard bytes.count - offset >= 8 else { throw truncated(key) }
            let count = bytes[offset..<(offset + 8)].reversed()
                .reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            offset += 8
            let size = UInt64(reference.dtype.size)
            guard count == UInt64(reference.count),
                  count <= UInt64(bytes.count - offset) / size else {
                throw truncated(key)
            }
            let byteCount = Int(count) * reference.dtype.size
            storages[key] = Data(bytes[offset..<(offset + byteCount)])
            offset += byteCount
        }
        return try StateDictAssembler.assemble(root) { storage throws(ImportError) in
            guard let data = storages[storage.key] else {
                throw ImportError(.badArchive,
                                  "storage \(storage.key) is used but not in the file",
                                  context: ["storage.key": storage.key])
            }
            return data
        }
    }

    private static func truncated(_ key: String) -> ImportError {
        ImportError(.storageTooShort,
                    "storage \(key) is shorter than its header says; the file is truncated",
                    context: ["storage.key": key])
    }

    private static func checkLittleEndian(_ info: PickleValue) throws(ImportError) {
        guard case .dict(let pairs) = info else {
            throw ImportError(.badPickle, "the legacy system info is not a dict")
        }
        for (key, value) in pairs {
            if case .string("little_endian") = key, case .bool(false) = value {
                throw ImportError(.badArchive,
                                  "the checkpoint was saved big-endian; re-save it on a"
                                  + " little-endian machine")
            }
        }
    }

    /// Every storage reference in a value, by key.
    private static func collectStorages(_ value: PickleValue,
                                        into out: inout [String: StorageReference]) {
        switch value {
        case .tensor(let tensor): out[tensor.storage.key] = tensor.storage
        case .storage(let storage): out[storage.key] = storage
        case .list(let items), .tuple(let items):
            for item in items { collectStorages(item, into: &out) }
        case .dict(let pairs):
            for pair in pairs { collectStorages(pair.value, into: &out) }
        default: break
        }
    }
}
