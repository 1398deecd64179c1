import FaceletPackage
import Foundation

/// A checkpoint's tensors renamed to Facelet's names and converted to float32, with where they
/// came from. Not yet a package: `Importer.backbone` / `Importer.bank` assemble one.
public struct ImportedWeights: Sendable {
    /// The key layout that was recognised (or asked for).
    public let layout: CheckpointLayout
    /// What the tensors make up.
    public let role: WeightRole
    /// The channel multiplier inferred from the tensors (1 for full VGG-19), when the role
    /// has a fixed base width.
    public let width: Double?
    /// The tensors under Facelet's names, float32, sorted by name.
    public let tensors: [PackageTensor]
    /// Checkpoint keys the layout knows and dropped (`classifier.*`, `upool*`,
    /// `num_batches_tracked`, …), in file order.
    public let ignoredKeys: [String]
    /// The prefix stripped from every key (`module.`, `model.`), if any.
    public let strippedPrefix: String?
    /// The file the tensors came from.
    public let source: SourceFile

    /// The tensor named `name`, if present.
    public subscript(name: String) -> PackageTensor? {
        tensors.first { $0.name == name }
    }
}

extension ImportedWeights {
    /// Maps a state dict through a layout (detected from its keys when `layout` is nil).
    ///
    /// - Throws: `ImportError` `.unknownLayout`, `.unexpectedKeys` / `.missingKeys` (naming
    ///   the keys), `.shapeMismatch`, `.unsupportedDtype`.
    public init(stateDict: StateDict, source: SourceFile,
                layout requested: CheckpointLayout? = nil) throws(ImportError) {
        var keys = stateDict.keys
        var stripped: String?
        for prefix in ["module.", "model."] where !keys.isEmpty
            && keys.allSatisfy({ $0.hasPrefix(prefix) }) {
            keys = keys.map { String($0.dropFirst(prefix.count)) }
            stripped = (stripped ?? "") + prefix
        }
        guard let layout = requested ?? CheckpointLayout.detect(keys) else {
            throw ImportError(.unknownLayout,
                              "no known layout matches the keys (first: "
                              + keys.prefix(4).joined(separator: ", ") + "); pass the layout"
                              + " or rename the keys",
                              context: ["tensor.key": keys.first ?? ""])
        }
        var byKey: [String: StateTensor] = [:]
        for (key, tensor) in zip(keys, stateDict.tensors) { byKey[key] = tensor }

        var tensors: [PackageTensor] = []
        var used = Set<String>()
        if layout == .facelet {
            for key in keys where !layout.isIgnored(key) {
                guard let tensor = byKey[key] else { continue }
                tensors.append(try tensor.packageTensor(named: key))
                used.insert(key)
            }
        } else {
            let pairs = layout.convolutions.flatMap(\.pairs)
            let missing = pairs.map(\.source).filter { byKey[$0] == nil }
            guard missing.isEmpty else {
                throw ImportError(.missingKeys,
                                  "the \(layout.rawValue) checkpoint lacks "
                                  + Self.list(missing),
                                  context: ["tensor.key": missing[0],
                                            "layout": layout.rawValue])
            }
            for (ours, sourceKey) in pairs {
                guard let tensor = byKey[sourceKey] else { continue }
                tensors.append(try tensor.packageTensor(named: ours))
                used.insert(sourceKey)
            }
        }
        let ignored = keys.filter { !used.contains($0) && layout.isIgnored($0) }
        let unexpected = keys.filter { !used.contains($0) && !layout.isIgnored($0) }
        guard unexpected.isEmpty else {
            throw ImportError(.unexpectedKeys,
                              "the \(layout.rawValue) checkpoint holds keys the layout does not"
                              + " know: " + Self.list(unexpected),
                              context: ["tensor.key": unexpected[0], "layout": layout.rawValue])
        }
        let role = layout.role ?? Self.role(ofFaceletNames: tensors.map(\.name))
        let width = try Self.width(role: role, tensors: tensors)
        self.layout = layout
        self.role = role
        self.width = width
        self.tensors = tensors.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        self.ignoredKeys = ignored
        self.strippedPrefix = stripped
        self.source = source
        try checkShapes()
    }

    /// Up to 12 keys, comma-separated, with the count of the rest.
    static func list(_ keys: [String]) -> String {
        let shown = keys.prefix(12).joined(separator: ", ")
        return keys.count > 12 ? shown + " and \(keys.count - 12) more" : shown
    }

    private static func role(ofFaceletNames names: [String]) -> WeightRole {
        let encoder = names.contains { $0.hasPrefix("encoder.") }
        let decoder = names.contains { $0.hasPrefix("decoder.") }
        switch (encoder, decoder) {
        case (true, true): return .backbone
        case (true, false): return .encoder
        case (false, true): return .decoder
        case (false, false): return .bank
        }
    }

    /// The channel multiplier: conv1_1's output channels / 64, the decoder's first conv / 512,
    /// or the bank's relu3_1 (or relu4_1 / relu5_1) channels / 256 (512).
    private static func width(role: WeightRole,
                              tensors: [PackageTensor]) throws(ImportError) -> Double? {
        func channels(_ name: String) -> Int? {
            tensors.first { $0.name == name }?.shape.first
        }
        switch role {
        case .encoder, .backbone:
            return channels("encoder.conv1_1.weight").map { Double($0) / 64 }
        case .decoder:
            return channels("decoder.recon5_1.weight").map { Double($0) / 512 }
        case .bank:
            if let c = channels("relu3_1.0.weight") { return Double(c) / 256 }
            if let c = channels("relu4_1.0.weight") ?? channels("relu5_1.0.weight") {
                return Double(c) / 512
            }
            return nil
        }
    }

    /// Checks every mapped tensor against the shape the layout's architecture gives it at the
    /// inferred width (Facelet-named backbones are checked when assembled instead).
    private func checkShapes() throws(ImportError) {
        guard let width, width > 0, width <= 64 else {
            if layout == .facelet { return }
            throw ImportError(.shapeMismatch,
                              "cannot infer the channel width from the first convolution",
                              context: ["layout": layout.rawValue])
        }
        var expected: [String: [Int]] = [:]
        switch role {
        case .encoder, .backbone:
            expected = Architecture.vgg19(width: width).expectedTensors()
        case .decoder:
            expected = Architecture.faceletOriginal(width: width).expectedTensors()
        case .bank:
            let levels = Architecture.vgg19(width: width).levels
            for level in levels {
                for index in 0..<3 {
                    expected["\(level.name).\(index).weight"] =
                        [level.channels, level.channels, 3, 3]
                    expected["\(level.name).\(index).bias"] = [level.channels]
                }
            }
        }
        if layout == .facelet && role != .bank { return }
        for tensor in tensors {
            guard let shape = expected[tensor.name] else { continue }
            guard shape == tensor.shape else {
                throw ImportError(.shapeMismatch,
                                  "\(sourceKey(of: tensor.name)) has shape \(tensor.shape) but a"
                                  + " width-\(width) \(role.rawValue) needs \(shape) there",
                                  context: ["tensor.key": sourceKey(of: tensor.name),
                                            "tensor.name": tensor.name])
            }
        }
    }

    /// The checkpoint key a Facelet tensor name came from (for messages and `show`).
    public func sourceKey(of name: String) -> String {
        let pair = layout.convolutions.flatMap(\.pairs).first { $0.ours == name }
        return (strippedPrefix ?? "") + (pair?.source ?? name)
    }
}
