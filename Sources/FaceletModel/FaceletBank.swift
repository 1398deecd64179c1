import FaceletPackage
import FaceletTensor

/// A facelet bank bound to the backbone it was trained for: per level, three 3×3 convolutions
/// (Conv-ReLU-Conv-ReLU-Conv) that map the feature ψ(x) to the change Δv (docs/format.md,
/// "Bank tensors").
///
/// Immutable and `Sendable`, like the backbone it is bound to.
public struct FaceletBank: Sendable {
    /// The bank package's name (the effect, e.g. `beard`).
    public let name: String
    /// The bank package's version.
    public let version: String
    /// The bank package's content digest.
    public let contentDigest: Digest
    /// The content digest of the backbone the bank is bound to.
    public let backboneDigest: Digest
    /// The levels the bank acts on, in the backbone's level order.
    public let levels: [String]
    /// The default strength and the allowed range, from the manifest.
    public let strength: StrengthRange
    /// The bytes the bank's weights occupy as float32 (what it costs to keep it loaded).
    public let byteSize: Int
    /// How the edit's change is fitted to the photo (`bank.guide` of the manifest), if at all.
    public let guide: GuidedChange?

    private let layers: [String: [ConvLayer]]

    /// Builds a bank from its package and binds it to `backbone`.
    ///
    /// - Throws: `ModelError`: `model.wrong_kind` for a backbone package,
    ///   `model.backbone_mismatch` when the bank names another backbone's digest,
    ///   `model.unknown_level` for a level the backbone lacks, `model.bad_tensor` for a missing
    ///   tensor or one whose shape does not match the level's channel count.
    public init(package: Package, backbone: Backbone) throws(ModelError) {
        let manifest = package.manifest
        guard manifest.kind == .bank else {
            throw .wrongKind(expected: "bank", got: manifest.kind.rawValue, name: manifest.name)
        }
        guard let bound = manifest.backbone, bound == backbone.contentDigest else {
            throw .backboneMismatch(bank: manifest.name,
                                    expected: manifest.backbone?.description ?? "(none)",
                                    got: backbone.contentDigest.description)
        }
        let padding = manifest.bank?.padding ?? []
        guard padding.count == 3, padding.allSatisfy({ $0 == .zero || $0 == .reflect }) else {
            throw ModelError(.badBank,
                             "bank.padding must list three of zero/reflect; "
                                 + "rebuild the bank package",
                             context: ["bank.name": manifest.name])
        }
        let requested = Set(manifest.levels ?? [])
        guard !requested.isEmpty else {
            throw ModelError(.badBank, "the bank acts on no level; "
                                 + "rebuild it with at least one level",
                             context: ["bank.name": manifest.name])
        }
        for level in requested where backbone.level(named: level) == nil {
            throw ModelError(.unknownLevel,
                             "bank '\(manifest.name)' acts on level '\(level)', which "
                                 + "backbone \(backbone.name) lacks; use a bank made for it",
                             context: ["bank.name": manifest.name, "level": level])
        }

        let weights = WeightReader(package: package)
        var layers: [String: [ConvLayer]] = [:]
        var byteSize = 0
        let ordered = backbone.levels.filter { requested.contains($0.name) }
        for level in ordered {
            var stack: [ConvLayer] = []
            for index in 0..<3 {
                let spec = ConvSpec(name: "\(level.name).\(index)", in: level.channels,
                                    out: level.channels, kernel: 3, padding: padding[index],
                                    activation: index < 2 ? .relu : .none)
                let layer = try weights.convLayer(spec)
                byteSize += (layer.weight.count + layer.bias.count) * MemoryLayout<Float>.size
                stack.append(layer)
            }
            layers[level.name] = stack
        }

        self.name = manifest.name
        self.version = manifest.version
        self.contentDigest = package.contentDigest
        self.backboneDigest = bound
        self.levels = ordered.map(\.name)
        self.strength = manifest.strength
        self.byteSize = byteSize
        self.guide = manifest.bank?.guide.map(GuidedChange.init)
        self.layers = layers
    }

    /// The change Δv for features ψ(x): for each of the bank's levels (restricted to `levels`
    /// when given), Conv-ReLU-Conv-ReLU-Conv of that level's feature. Levels the bank does not
    /// act on are absent from the result.
    ///
    /// - Precondition: `features` holds each computed level with the backbone's channel count.
    public func delta(_ features: FeatureSet, levels: Set<String>? = nil) -> FeatureSet {
        var out = FeatureSet()
        for level in self.levels where levels?.contains(level) ?? true {
            guard let feature = features[level], let stack = self.layers[level] else {
                preconditionFailure("delta needs level '\(level)', which the features lack")
            }
            out[level] = stack.reduce(feature) { x, layer in layer(x) }
        }
        return out
    }
}
