import Foundation

/// The checks that need the tensors: finiteness, the manifest's tensor list and hashes, and the
/// kind's layout (bank levels or backbone architecture). Shared by reader and writer.
enum ContentRules {
    /// - Parameter sortedTensors: unique names, sorted by `NameOrder`.
    static func check(manifest: Manifest,
                      sortedTensors tensors: [PackageTensor]) throws(PackageError) {
        for tensor in tensors {
            try checkFinite(tensor)
        }
        try checkListed(manifest: manifest, tensors: tensors)
        switch manifest.kind {
        case .bank: try BankLayout.check(manifest: manifest, tensors: tensors)
        case .backbone: try checkBackbone(manifest: manifest, tensors: tensors)
        }
    }

    static func checkFinite(_ tensor: PackageTensor) throws(PackageError) {
        let count = tensor.elementCount
        let bad: Int? = tensor.bytes.withUnsafeBytes { raw in
            // Fast path for aligned float32 (every tensor Facelet writes): exponent all ones.
            if tensor.dtype == .f32, let base = raw.baseAddress,
               Int(bitPattern: base) % MemoryLayout<UInt32>.alignment == 0 {
                return raw.withMemoryRebound(to: UInt32.self) { words in
                    firstNonFinite(words)
                }
            }
            return (0..<count).first { !PackageTensor.isFinite(raw, at: $0, dtype: tensor.dtype) }
        }
        if let bad {
            throw PackageError(.nonFinite,
                               "tensor \"\(tensor.name)\" holds NaN or infinity at element"
                               + " \(bad); retrain or clean the weights",
                               context: ["tensor.name": tensor.name])
        }
    }

    /// The index of the first float32 whose exponent bits are all ones (NaN or infinity).
    /// A plain loop, as debug builds run closures per element many times slower.
    private static func firstNonFinite(_ words: UnsafeBufferPointer<UInt32>) -> Int? {
        guard let base = words.baseAddress else { return nil }
        let mask = UInt32(0x7f80_0000).littleEndian
        var index = 0
        while index < words.count {
            if base[index] & mask == mask { return index }
            index += 1
        }
        return nil
    }

    /// The file's tensors must be exactly those of `manifest.tensors`, with matching hashes.
    private static func checkListed(manifest: Manifest,
                                    tensors: [PackageTensor]) throws(PackageError) {
        let present = Set(tensors.map(\.name))
        let missing = manifest.tensors.keys.filter { !present.contains($0) }.sorted()
        guard missing.isEmpty else {
            throw PackageError(.missingTensor,
                               "the manifest lists tensors the file lacks: "
                               + missing.prefix(8).joined(separator: ", "),
                               context: ["tensor.name": missing[0]])
        }
        let unlisted = tensors.map(\.name).filter { manifest.tensors[$0] == nil }
        guard unlisted.isEmpty else {
            throw PackageError(.unexpectedTensor,
                               "the file holds tensors the manifest does not list: "
                               + unlisted.prefix(8).joined(separator: ", "),
                               context: ["tensor.name": unlisted[0]])
        }
        for tensor in tensors where manifest.tensors[tensor.name] != tensor.sha256.hex {
            throw PackageError(.digestMismatch,
                               "tensor \"\(tensor.name)\" has SHA-256 \(tensor.sha256.short)…"
                               + " but the manifest says \(manifest.tensors[tensor.name] ?? "")"
                               + "; the file is corrupt",
                               context: ["tensor.name": tensor.name,
                                         "tensor.sha256": tensor.sha256.hex])
        }
    }

    /// A backbone's tensors must be exactly `architecture.expectedTensors()`.
    private static func checkBackbone(manifest: Manifest,
                                      tensors: [PackageTensor]) throws(PackageError) {
        guard let architecture = manifest.architecture else {
            throw PackageError(.badManifest, "a backbone manifest needs \"architecture\"")
        }
        let expected = architecture.expectedTensors()
        let present = Set(tensors.map(\.name))
        let missing = expected.keys.filter { !present.contains($0) }
            .sorted { NameOrder.less($0, $1) }
        guard missing.isEmpty else {
            throw PackageError(.missingTensor,
                               "the architecture needs tensors the backbone lacks: "
                               + missing.prefix(8).joined(separator: ", "),
                               context: ["tensor.name": missing[0]])
        }
        let unexpected = tensors.map(\.name).filter { expected[$0] == nil }
        guard unexpected.isEmpty else {
            throw PackageError(.unexpectedTensor,
                               "the backbone holds tensors its architecture does not use: "
                               + unexpected.prefix(8).joined(separator: ", "),
                               context: ["tensor.name": unexpected[0]])
        }
        for tensor in tensors where expected[tensor.name] != tensor.shape {
            throw PackageError(.shapeMismatch,
                               "tensor \"\(tensor.name)\" has shape \(tensor.shape) but the"
                               + " architecture needs \(expected[tensor.name] ?? [])",
                               context: ["tensor.name": tensor.name])
        }
    }
}
