import FaceletPackage
import Foundation

/// Turns PyTorch checkpoints and safetensors files into Facelet packages.
///
/// Nothing is stored: the caller (the CLI's `import`) stores the returned bytes only when every
/// step succeeded, so a refused file leaves no trace.
public enum Importer {
    /// Reads a file and maps its keys (see `CheckpointReader` and `ImportedWeights`).
    /// - Parameter layout: the key layout, or nil to recognise it from the keys.
    /// - Throws: `ImportError` naming the first problem, with `file.path` in the context.
    public static func weights(contentsOf url: URL,
                               layout: CheckpointLayout? = nil) throws(ImportError)
        -> ImportedWeights {
        let (stateDict, source) = try CheckpointReader.read(contentsOf: url)
        do {
            return try ImportedWeights(stateDict: stateDict, source: source, layout: layout)
        } catch {
            throw error.adding(["file.path": url.path])
        }
    }

    /// An architecture by the name the CLI's `--arch` takes, at `width`:
    /// `vgg19` (the paper's concatenating decoder), `vgg19-add` (skips added),
    /// `facelet-original` (the original release, per-image batch normalisation as its test
    /// script ran) and `facelet-original-running` (running statistics, PyTorch `eval()`).
    public static func architecture(named name: String, width: Double) -> Architecture? {
        guard width.isFinite, width > 0, width <= 64 else { return nil }
        switch name {
        case "vgg19": return .vgg19(width: width)
        case "vgg19-add": return .vgg19(width: width, skip: .add)
        case "facelet-original": return .faceletOriginal(width: width, batchnorm: .instance)
        case "facelet-original-running":
            return .faceletOriginal(width: width, batchnorm: .running)
        default: return nil
        }
    }

    /// The names `architecture(named:width:)` knows.
    public static let architectureNames = ["vgg19", "vgg19-add", "facelet-original",
                                           "facelet-original-running"]

    /// Assembles a backbone package from one or more imported parts (for example the original
    /// release's encoder and decoder files, or torchvision's VGG-19 plus a decoder exported by
    /// Facelet).
    ///
    /// - Parameters:
    ///   - parts: the imported files; their tensors must not overlap.
    ///   - architecture: the network; nil infers `faceletOriginal` (instance statistics) when a
    ///     part is an original-release decoder, otherwise `vgg19`, at the parts' width.
    /// - Returns: the package's bytes and the package.
    /// - Throws: `ImportError` `.missingKeys` / `.unexpectedKeys` naming Facelet tensors (and
    ///   the keys they come from), `.shapeMismatch`, `.badPackage`.
    public static func backbone(_ parts: [ImportedWeights], architecture: Architecture? = nil,
                                name: String, version: String, description: String = "")
        throws(ImportError) -> (data: Data, package: Package) {
        precondition(!parts.isEmpty, "a backbone needs at least one imported part")
        guard parts.allSatisfy({ $0.role != .bank }) else {
            throw ImportError(.unexpectedKeys,
                              "a facelet bank cannot be part of a backbone; import it as a bank")
        }
        let resolved: Architecture
        if let architecture {
            resolved = architecture
        } else {
            resolved = try inferArchitecture(parts)
        }
        var tensors: [String: (PackageTensor, ImportedWeights)] = [:]
        for part in parts {
            for tensor in part.tensors {
                guard tensors.updateValue((tensor, part), forKey: tensor.name) == nil else {
                    throw ImportError(.unexpectedKeys,
                                      "\(tensor.name) comes from more than one file",
                                      context: ["tensor.name": tensor.name])
                }
            }
        }
        let expected = resolved.expectedTensors()
        let missing = expected.keys.filter { tensors[$0] == nil }.sorted()
        guard missing.isEmpty else {
            throw ImportError(.missingKeys,
                              "the \(resolved.family) architecture needs tensors no file"
                              + " provides: " + ImportedWeights.list(missing)
                              + (parts.allSatisfy({ $0.role == .encoder })
                                 ? " (an encoder alone is not a backbone: add a decoder file,"
                                   + " or train one)" : ""),
                              context: ["tensor.name": missing[0]])
        }
        let unexpected = tensors.keys.filter { expected[$0] == nil }.sorted()
        guard unexpected.isEmpty else {
            let keys = unexpected.map { tensors[$0].map { $0.1.sourceKey(of: $0.0.name) } ?? $0 }
            throw ImportError(.unexpectedKeys,
                              "the \(resolved.family) architecture has no place for: "
                              + ImportedWeights.list(keys),
                              context: ["tensor.name": unexpected[0]])
        }
        for (name, (tensor, part)) in tensors where expected[name] != tensor.shape {
            throw ImportError(.shapeMismatch,
                              "\(part.sourceKey(of: name)) has shape \(tensor.shape) but the"
                              + " architecture needs \(expected[name] ?? []) for \(name)",
                              context: ["tensor.name": name])
        }
        let manifest = Manifest(kind: .backbone, name: name, version: version,
                                description: description, architecture: resolved,
                                provenance: provenance(parts))
        return try encode(manifest, tensors: tensors.values.map(\.0))
    }

    /// Assembles a bank package bound to `backbone`.
    ///
    /// - Parameters:
    ///   - padding: the three convolutions' border modes; nil uses the original release's
    ///     reflect/zero/reflect for `original-bank` files and zero/zero/zero otherwise.
    /// - Throws: `ImportError` `.shapeMismatch` when the bank's channels do not fit the
    ///   backbone's levels, `.badPackage` for any other rule of the format.
    public static func bank(_ weights: ImportedWeights, backbone: Package, name: String,
                            version: String, description: String = "",
                            strength: StrengthRange = StrengthRange(default: 1, min: -1, max: 2),
                            padding: [Padding]? = nil) throws(ImportError)
        -> (data: Data, package: Package) {
        guard weights.role == .bank else {
            throw ImportError(.unexpectedKeys,
                              "\(weights.source.fileName) holds a \(weights.role.rawValue), not"
                              + " a facelet bank")
        }
        guard let architecture = backbone.manifest.architecture else {
            throw ImportError(.badPackage, "the backbone package has no architecture")
        }
        let present = Set(weights.tensors.map { String($0.name.prefix { $0 != "." }) })
        let levels = architecture.levels.map(\.name).filter(present.contains)
        let unknown = present.subtracting(levels).sorted()
        guard unknown.isEmpty, !levels.isEmpty else {
            throw ImportError(.unexpectedKeys,
                              "the bank acts on levels the backbone lacks: "
                              + unknown.joined(separator: ", "))
        }
        for level in levels {
            guard let spec = architecture.level(named: level),
                  let weight = weights["\(level).0.weight"] else { continue }
            guard weight.shape.first == spec.channels else {
                throw ImportError(.shapeMismatch,
                                  "\(weights.sourceKey(of: weight.name)) has \(weight.shape)"
                                  + " but backbone \(backbone.manifest.name) has"
                                  + " \(spec.channels) channels at \(level)",
                                  context: ["tensor.name": weight.name, "level": level])
            }
        }
        let modes = padding ?? (weights.layout == .originalBank
                                ? Architecture.originalBankPadding : [.zero, .zero, .zero])
        let manifest = Manifest(kind: .bank, name: name, version: version,
                                description: description, backbone: backbone.contentDigest,
                                levels: levels, strength: strength,
                                bank: BankDescription(padding: modes),
                                provenance: provenance([weights]))
        let result = try encode(manifest, tensors: weights.tensors)
        do {
            try validateBank(result.package, against: backbone)
        } catch {
            throw ImportError(.shapeMismatch, error.message, context: error.context)
        }
        return result
    }

    /// A package name derived from a file name (`vgg19-dcbb9e9d.pth` → `vgg19-dcbb9e9d`):
    /// lowercased, characters outside `a-z 0-9 - _ .` replaced by `-`, at most 64 characters,
    /// starting with a letter or digit (`imported` when nothing is left).
    public static func suggestedName(for source: SourceFile) -> String {
        var stem = source.fileName
        for suffix in [".safetensors", ".pth", ".pt", ".bin", ".ckpt"]
            where stem.lowercased().hasSuffix(suffix) {
            stem = String(stem.dropLast(suffix.count))
            break
        }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-_.")
        var name = String(stem.lowercased().map { allowed.contains($0) ? $0 : "-" })
        while let first = name.first, !(first.isLetter || first.isNumber) {
            name.removeFirst()
        }
        name = String(name.prefix(64))
        return name.isEmpty ? "imported" : name
    }

    // MARK: - Steps

    private static func inferArchitecture(_ parts: [ImportedWeights]) throws(ImportError)
        -> Architecture {
        guard let width = parts.compactMap(\.width).first else {
            throw ImportError(.unknownLayout,
                              "cannot infer the architecture; pass one (--arch)")
        }
        let original = parts.contains { part in
            part.layout == .originalDecoder || part["decoder.recon5_1.weight"] != nil
        }
        if original {
            return .faceletOriginal(width: width)
        }
        return .vgg19(width: width)
    }

    /// `method`, `source`, `source_sha256`, `source_format`, `mapping`, `ignored_keys`:
    /// comma-separated, one entry per file in order.
    static func provenance(_ parts: [ImportedWeights]) -> [String: String] {
        [
            "method": "import",
            "source": parts.map(\.source.fileName).joined(separator: ","),
            "source_sha256": parts.map(\.source.sha256.description).joined(separator: ","),
            "source_format": parts.map(\.source.format.rawValue).joined(separator: ","),
            "mapping": parts.map(\.layout.rawValue).joined(separator: ","),
            "ignored_keys": parts.map { String($0.ignoredKeys.count) }.joined(separator: ","),
        ]
    }

    private static func encode(_ manifest: Manifest, tensors: [PackageTensor])
        throws(ImportError) -> (data: Data, package: Package) {
        do {
            return try PackageWriter.encode(manifest, tensors: tensors)
        } catch {
            throw ImportError(.badPackage, error.message,
                              context: error.context.merging(["package.code": error.code.rawValue])
                              { old, _ in old })
        }
    }
}
