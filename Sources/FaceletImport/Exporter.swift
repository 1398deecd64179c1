import FaceletPackage
import Foundation

/// The file format of an export.
public enum ExportFormat: String, Sendable, CaseIterable {
    /// A plain safetensors file (`safetensors.torch.load_file`).
    case safetensors
    /// A zip `.pth` that `torch.load(path, weights_only=True)` reads as an `OrderedDict`.
    case pytorch
}

/// The key names an export uses.
public enum ExportNaming: String, Sendable, CaseIterable {
    /// Facelet's own names, as in the package.
    case facelet
    /// The original release's names (`features_1.conv1_1.*`, `recon5.conv.1.*`,
    /// `w_1.model.1.*`): loadable by its `VGG`, `Vgg_recon` and `Facelet` modules.
    case original
    /// torchvision's `features.N.*` (encoder only).
    case torchvision
}

/// Which tensors of a backbone an export holds.
public enum ExportPart: String, Sendable, CaseIterable {
    /// Everything in the package.
    case all
    /// The `encoder.*` tensors.
    case encoder
    /// The `decoder.*` tensors.
    case decoder
}

/// Writes a package's tensors for Python users.
public enum Exporter {
    /// The package's tensors under the chosen names, in the order the naming's PyTorch module
    /// lists them (Facelet names: sorted).
    /// - Throws: `ImportError` `.unknownLayout` when the naming cannot express a tensor (for
    ///   example torchvision names for a decoder).
    public static func stateDict(of package: Package, naming: ExportNaming = .facelet,
                                 part: ExportPart = .all) throws(ImportError)
        -> [(key: String, tensor: PackageTensor)] {
        let selected = package.tensors.filter { tensor in
            switch part {
            case .all: true
            case .encoder: tensor.name.hasPrefix("encoder.")
            case .decoder: tensor.name.hasPrefix("decoder.")
            }
        }
        guard naming != .facelet else { return selected.map { ($0.name, $0) } }
        let layouts: [CheckpointLayout] = switch (naming, package.manifest.kind) {
        case (.original, .bank): [.originalBank]
        case (.original, .backbone): [.originalEncoder, .originalDecoder]
        case (.torchvision, _): [.torchvisionVGG19]
        case (.facelet, _): []
        }
        let pairs = layouts.flatMap { $0.convolutions.flatMap(\.pairs) }
        var byName: [String: PackageTensor] = [:]
        for tensor in selected { byName[tensor.name] = tensor }
        let known = Set(pairs.map(\.ours))
        let unmapped = selected.map(\.name).filter { !known.contains($0) }
        guard unmapped.isEmpty else {
            throw ImportError(.unknownLayout,
                              "\(naming.rawValue) names cannot express "
                              + ImportedWeights.list(unmapped)
                              + "; export with --naming facelet or choose a part",
                              context: ["tensor.name": unmapped[0]])
        }
        return pairs.compactMap { pair in byName[pair.ours].map { (pair.source, $0) } }
    }

    /// Writes `entries` to `url` in `format`.
    /// - Parameter metadata: safetensors `__metadata__` (ignored for PyTorch).
    /// - Throws: `ImportError` `.unreadable` when the file cannot be written.
    public static func write(_ entries: [(key: String, tensor: PackageTensor)],
                             format: ExportFormat, metadata: [String: String] = [:],
                             to url: URL) throws(ImportError) {
        switch format {
        case .safetensors:
            let data = try safetensors(entries, metadata: metadata)
            do {
                try data.write(to: url, options: .atomic)
            } catch {
                throw ImportError(.unreadable, "cannot write the file: \(error)",
                                  context: ["file.path": url.path])
            }
        case .pytorch:
            try pytorch(entries, to: url)
        }
    }

    /// Exports a package: `stateDict(of:naming:part:)` written in `format`, with the package's
    /// name, version and content digest in the safetensors metadata.
    public static func export(_ package: Package, format: ExportFormat,
                              naming: ExportNaming = .facelet, part: ExportPart = .all,
                              to url: URL) throws(ImportError) {
        let entries = try stateDict(of: package, naming: naming, part: part)
        let metadata = ["format": "pt", "facelet.name": package.manifest.name,
                        "facelet.version": package.manifest.version,
                        "facelet.content_digest": package.contentDigest.description]
        try write(entries, format: format, metadata: metadata, to: url)
    }

    /// A plain safetensors file: header keys sorted, tensors back to back in that order.
    static func safetensors(_ entries: [(key: String, tensor: PackageTensor)],
                            metadata: [String: String]) throws(ImportError) -> Data {
        let sorted = entries.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for (key, tensor) in sorted {
            header[key] = ["dtype": tensor.dtype.rawValue, "shape": tensor.shape,
                           "data_offsets": [offset, offset + tensor.bytes.count]] as [String: Any]
            offset += tensor.bytes.count
        }
        var json: Data
        do {
            json = try JSONSerialization.data(withJSONObject: header,
                                              options: [.sortedKeys, .withoutEscapingSlashes])
        } catch {
            throw ImportError(.badSafetensors, "cannot encode the header: \(error)")
        }
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        var data = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for (_, tensor) in sorted { data.append(tensor.bytes) }
        return data
    }

    /// A zip `.pth`: `archive/data.pkl`, `archive/byteorder`, `archive/data/<i>`,
    /// `archive/version`, all stored uncompressed.
    static func pytorch(_ entries: [(key: String, tensor: PackageTensor)],
                        to url: URL) throws(ImportError) {
        let described = entries.map { entry -> (key: String, dtype: TorchDType, shape: [Int]) in
            let dtype: TorchDType = switch entry.tensor.dtype {
            case .f32: .float32
            case .f16: .float16
            case .bf16: .bfloat16
            case .f64: .float64
            }
            return (entry.key, dtype, entry.tensor.shape)
        }
        let pickle = TorchPickleWriter.stateDict(described)
        let writer = try ZipWriter(url: url)
        try writer.add("archive/data.pkl", Data(pickle))
        try writer.add("archive/byteorder", Data("little".utf8))
        for (index, entry) in entries.enumerated() {
            try writer.add("archive/data/\(index)", entry.tensor.bytes)
        }
        try writer.add("archive/version", Data("3\n".utf8))
        try writer.close()
    }
}
