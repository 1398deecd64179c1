import FaceletPackage

/// What part of the network a checkpoint holds.
public enum WeightRole: String, Sendable {
    /// The VGG-19 encoder only.
    case encoder
    /// The decoder only.
    case decoder
    /// Encoder and decoder.
    case backbone
    /// A facelet bank.
    case bank
}

/// A naming scheme of checkpoint keys that the importer maps onto Facelet's tensor names.
public enum CheckpointLayout: String, Sendable, CaseIterable {
    /// Facelet's own names (`encoder.conv1_1.weight`, `decoder.out.bias`, `relu3_1.0.weight`),
    /// e.g. a safetensors file exported by `facelet-registry export`.
    case facelet
    /// torchvision's `vgg19()` state dict: `features.N.weight` (N = 0, 2, 5, …, 28 up to
    /// conv5_1); `features.30…34` and `classifier.*` are ignored.
    case torchvisionVGG19 = "torchvision-vgg19"
    /// timm's `vgg19`: the same `features.N` names; `pre_logits.*` and `head.*` are ignored.
    case timmVGG19 = "timm-vgg19"
    /// The original release's encoder (`vgg19g`): `features_1.conv1_1.weight` …
    /// `features_3.conv5_1.bias`.
    case originalEncoder = "original-encoder"
    /// The original release's decoder (`decoder_res`): `recon5.conv.1.weight`,
    /// `recon5.norm.1.running_mean`, `upsample4.interp.conv.weight`, `recon0.weight`, …;
    /// the unused `upool*` transposed convolutions are ignored.
    case originalDecoder = "original-decoder"
    /// An original release facelet bank (`facehair.pth`, …): `w_1.model.1.weight` …
    /// `w_3.model.6.bias`.
    case originalBank = "original-bank"

    /// The part of the network the layout's files hold (`facelet` may hold any).
    public var role: WeightRole? {
        switch self {
        case .facelet: nil
        case .torchvisionVGG19, .timmVGG19, .originalEncoder: .encoder
        case .originalDecoder: .decoder
        case .originalBank: .bank
        }
    }

    /// Recognises the layout from characteristic keys (after prefix stripping).
    static func detect(_ keys: [String]) -> CheckpointLayout? {
        let set = Set(keys)
        if set.contains("features.0.weight") {
            let timm = keys.contains { $0.hasPrefix("pre_logits.") || $0.hasPrefix("head.") }
            return timm ? .timmVGG19 : .torchvisionVGG19
        }
        if set.contains("features_1.conv1_1.weight") { return .originalEncoder }
        if set.contains("recon0.weight") || set.contains("recon5.conv.1.weight") {
            return .originalDecoder
        }
        if set.contains("w_1.model.1.weight") { return .originalBank }
        if keys.contains(where: { $0.hasPrefix("encoder.") || $0.hasPrefix("decoder.")
                                    || $0.hasPrefix("relu") }) {
            return .facelet
        }
        return nil
    }

    /// Keys the layout knows and deliberately drops.
    func isIgnored(_ key: String) -> Bool {
        if key.hasSuffix(".num_batches_tracked") { return true }
        switch self {
        case .facelet, .originalEncoder, .originalBank: return false
        case .torchvisionVGG19:
            return key.hasPrefix("classifier.") || Self.deepFeatures.contains(key)
        case .timmVGG19:
            return key.hasPrefix("pre_logits.") || key.hasPrefix("head.")
                || Self.deepFeatures.contains(key)
        case .originalDecoder:
            return key.hasPrefix("upool")
        }
    }

    /// torchvision's conv5_2…conv5_4 (beyond relu5_1).
    private static let deepFeatures: Set<String> = Set([30, 32, 34].flatMap {
        ["features.\($0).weight", "features.\($0).bias"]
    })

    /// The convolutions the layout maps: Facelet's conv name, the checkpoint's conv prefix, and
    /// the checkpoint's batch-norm prefix if the convolution is normalised.
    var convolutions: [ConvMapping] {
        switch self {
        case .facelet: []
        case .torchvisionVGG19, .timmVGG19:
            zip(Self.vggConvs, [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28]).map {
                ConvMapping(ours: "encoder." + $0, source: "features.\($1)")
            }
        case .originalEncoder:
            Self.vggConvs.enumerated().map { index, conv in
                let block = index <= 4 ? 1 : index <= 8 ? 2 : 3
                return ConvMapping(ours: "encoder." + conv, source: "features_\(block).\(conv)")
            }
        case .originalDecoder:
            Self.originalDecoderConvs
        case .originalBank:
            [("relu3_1", 1), ("relu4_1", 2), ("relu5_1", 3)].flatMap { level, block in
                [(0, 1), (1, 3), (2, 6)].map { index, module in
                    ConvMapping(ours: "\(level).\(index)", source: "w_\(block).model.\(module)")
                }
            }
        }
    }

    static let vggConvs = ["conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1", "conv3_2",
                           "conv3_3", "conv3_4", "conv4_1", "conv4_2", "conv4_3", "conv4_4",
                           "conv5_1"]

    /// `Vgg_recon` of the original release against `Architecture.faceletOriginal`.
    static let originalDecoderConvs: [ConvMapping] = {
        var out: [ConvMapping] = []
        func recon(_ block: Int, _ count: Int) {
            for index in 1...count {
                out.append(ConvMapping(ours: "decoder.recon\(block)_\(index)",
                                       source: "recon\(block).conv.\(index)",
                                       batchNorm: "recon\(block).norm.\(index)"))
            }
        }
        func upsample(_ block: Int) {
            out.append(ConvMapping(ours: "decoder.upsample\(block)",
                                   source: "upsample\(block).interp.conv",
                                   batchNorm: "upsample\(block).interp.norm"))
        }
        recon(5, 3); upsample(4); recon(4, 3); upsample(3); recon(3, 3); upsample(2)
        recon(2, 2); upsample(1); recon(1, 1)
        out.append(ConvMapping(ours: "decoder.out", source: "recon0"))
        return out
    }()
}

/// One convolution's names on both sides.
struct ConvMapping: Sendable {
    /// Facelet's conv name (`encoder.conv1_1`, `relu3_1.0`).
    let ours: String
    /// The checkpoint's prefix of `.weight` / `.bias`.
    let source: String
    /// The checkpoint's prefix of the batch-norm tensors, if any.
    var batchNorm: String?

    /// Facelet tensor name → checkpoint key.
    var pairs: [(ours: String, source: String)] {
        var out = [(ours + ".weight", source + ".weight"), (ours + ".bias", source + ".bias")]
        if let batchNorm {
            for part in ["weight", "bias", "running_mean", "running_var"] {
                out.append((ours + ".bn." + part, batchNorm + "." + part))
            }
        }
        return out
    }
}
