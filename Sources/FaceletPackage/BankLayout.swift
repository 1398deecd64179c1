/// The tensor layout of a facelet bank (docs/format.md, "Bank tensors"): per level `L`, three
/// convolutions `L.0`, `L.1`, `L.2` with weights `[C, C, 3, 3]` and biases `[C]`, one `C` per
/// level.
enum BankLayout {
    /// The six tensor names of `level`.
    static func names(level: String) -> [String] {
        (0..<3).flatMap { ["\(level).\($0).weight", "\(level).\($0).bias"] }
    }

    /// Checks names and shapes without knowing the backbone's channel counts.
    static func check(manifest: Manifest, tensors: [PackageTensor]) throws(PackageError) {
        let levels = manifest.levels ?? []
        var byName: [String: PackageTensor] = [:]
        for tensor in tensors {
            byName[tensor.name] = tensor
        }
        let expected = Set(levels.flatMap(names(level:)))
        for level in levels {
            let missing = names(level: level).filter { byName[$0] == nil }
            guard missing.isEmpty else {
                throw PackageError(.missingTensor,
                                   "level \"\(level)\" needs tensors the bank lacks: "
                                   + missing.joined(separator: ", "),
                                   context: ["tensor.name": missing[0]])
            }
            _ = try channels(level: level, byName: byName)
        }
        let unexpected = tensors.map(\.name).filter { !expected.contains($0) }
        guard unexpected.isEmpty else {
            throw PackageError(.unexpectedTensor,
                               "the bank holds tensors outside its levels' convolutions: "
                               + unexpected.prefix(8).joined(separator: ", "),
                               context: ["tensor.name": unexpected[0]])
        }
    }

    /// The shared channel count `C` of a level whose six tensors are present.
    static func channels(level: String,
                         byName: [String: PackageTensor]) throws(PackageError) -> Int {
        guard let first = byName["\(level).0.weight"], first.shape.count == 4 else {
            throw PackageError(.shapeMismatch,
                               "\"\(level).0.weight\" must have shape [C, C, 3, 3]",
                               context: ["tensor.name": "\(level).0.weight"])
        }
        let c = first.shape[0]
        for index in 0..<3 {
            for (suffix, shape) in [("weight", [c, c, 3, 3]), ("bias", [c])] {
                let name = "\(level).\(index).\(suffix)"
                guard let tensor = byName[name], tensor.shape == shape, c >= 1 else {
                    throw PackageError(.shapeMismatch,
                                       "\"\(name)\" has shape \(byName[name]?.shape ?? [])"
                                       + " but level \"\(level)\" needs \(shape) (C = \(c),"
                                       + " shared by all three convolutions)",
                                       context: ["tensor.name": name])
                }
            }
        }
        return c
    }
}

/// Checks that `bank` fits `backbone`: the bank names the backbone's content digest, its levels
/// exist in the backbone's architecture, and each level's channel count matches.
/// - Throws: `PackageError` with `.backboneMismatch` (binding or levels) or `.shapeMismatch`.
public func validateBank(_ bank: Package, against backbone: Package) throws(PackageError) {
    try validateBank(bank, againstBackbone: backbone.manifest, digest: backbone.contentDigest)
}

/// Checks that `bank` fits the backbone with manifest `backboneManifest` and content digest
/// `digest`, without needing the backbone's tensors.
/// - Throws: `PackageError` with `.backboneMismatch` (binding or levels) or `.shapeMismatch`.
public func validateBank(_ bank: Package, againstBackbone backboneManifest: Manifest,
                         digest: Digest) throws(PackageError) {
    let context = ["bank.name": bank.manifest.name, "backbone.digest": digest.description]
    guard bank.manifest.kind == .bank, backboneManifest.kind == .backbone,
          let architecture = backboneManifest.architecture else {
        throw PackageError(.backboneMismatch, "expected a bank and a backbone", context: context)
    }
    guard bank.manifest.backbone == digest else {
        throw PackageError(.backboneMismatch,
                           "the bank was made for backbone"
                           + " \(bank.manifest.backbone?.short ?? "(none)") but this backbone is"
                           + " \(digest.short); install the matching backbone",
                           context: context)
    }
    var byName: [String: PackageTensor] = [:]
    for tensor in bank.tensors {
        byName[tensor.name] = tensor
    }
    for level in bank.manifest.levels ?? [] {
        guard let spec = architecture.level(named: level) else {
            throw PackageError(.backboneMismatch,
                               "the bank acts on level \"\(level)\" which the backbone lacks",
                               context: context)
        }
        let c = try BankLayout.channels(level: level, byName: byName)
        guard c == spec.channels else {
            throw PackageError(.shapeMismatch,
                               "the bank's level \"\(level)\" has \(c) channels but the"
                               + " backbone's has \(spec.channels)",
                               context: context.merging(["level": level]) { old, _ in old })
        }
    }
}
