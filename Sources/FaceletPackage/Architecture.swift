import Foundation

/// A backbone's encoder and decoder as data (docs/architecture.md); the runtime builds the
/// network from it.
public struct Architecture: Codable, Sendable, Equatable {
    /// Informational family name (`vgg19`, `facelet-original`, …).
    public var family: String
    /// The channel multiplier the layers were generated with (informational).
    public var width: Double
    /// Input normalisation and padding.
    public var input: InputSpec
    /// The levels of the deep feature ψ(x).
    public var levels: [LevelSpec]
    /// Ops run in order on the normalised image.
    public var encoder: [LayerOp]
    /// Ops run in order from a level's manipulated feature back to an image.
    public var decoder: [LayerOp]
    /// How the decoder's output becomes the edited image.
    public var output: OutputMode

    /// Makes a description; `validate()` checks it.
    public init(family: String, width: Double, input: InputSpec, levels: [LevelSpec],
                encoder: [LayerOp], decoder: [LayerOp], output: OutputMode) {
        self.family = family
        self.width = width
        self.input = input
        self.levels = levels
        self.encoder = encoder
        self.decoder = decoder
        self.output = output
    }

    /// The level named `name`, if declared.
    public func level(named name: String) -> LevelSpec? {
        levels.first { $0.name == name }
    }
}

/// Per-channel normalisation and padding of the input image.
public struct InputSpec: Codable, Sendable, Equatable {
    /// Per-channel mean subtracted from RGB in [0, 1] (3 values).
    public var mean: [Double]
    /// Per-channel divisor after the mean (3 positive values).
    public var std: [Double]
    /// The input is padded up to a multiple of this and the output cropped back.
    public var padMultiple: Int
    /// The border mode of that padding.
    public var padMode: Padding

    /// Makes an input description.
    public init(mean: [Double], std: [Double], padMultiple: Int, padMode: Padding) {
        self.mean = mean
        self.std = std
        self.padMultiple = padMultiple
        self.padMode = padMode
    }

    enum CodingKeys: String, CodingKey {
        case mean, std
        case padMultiple = "pad_multiple"
        case padMode = "pad_mode"
    }
}

/// One level of ψ(x): a tapped encoder activation.
public struct LevelSpec: Codable, Sendable, Equatable {
    /// The level's name, e.g. `relu4_1`.
    public var name: String
    /// Its channel count.
    public var channels: Int
    /// Input size / feature size.
    public var stride: Int

    /// Makes a level.
    public init(name: String, channels: Int, stride: Int) {
        self.name = name
        self.channels = channels
        self.stride = stride
    }
}

/// How the decoder's output becomes the edited image.
public enum OutputMode: String, Codable, Sendable {
    /// The decoder's output is the normalised image.
    case image
    /// The normalised input is added to the decoder's output (the original release).
    case addInput = "add-input"
    /// The edit is `x + D(ψ(x) + λΔv) − D(ψ(x))`.
    case difference
    /// The decoder's 12 output channels are a per-pixel colour transform of the normalised
    /// input x: a 3 × 3 matrix A (channels 0–8, row-major) and an offset b (channels 9–11). The
    /// edit is `x + (A' − A)·x + (b' − b)`, with `(A', b') = D(ψ(x) + λΔv)` and
    /// `(A, b) = D(ψ(x))`: λ = 0 gives the photo back exactly, and a change of colour is applied
    /// to every pixel at full resolution.
    case affineDifference = "affine-difference"

    /// The number of channels the decoder must end with: 12 for `affine-difference`, else 3.
    public var decoderChannels: Int {
        self == .affineDifference ? 12 : 3
    }

    /// Whether an edit needs the decoder's output for the unedited features, D(ψ(x)).
    public var needsBaseline: Bool {
        self == .difference || self == .affineDifference
    }
}

/// How `merge` combines a level's feature with the current activation.
public enum MergeMode: String, Codable, Sendable {
    /// Append the level's channels after the current ones.
    case concat
    /// Add element-wise (channel counts must match).
    case add
}

/// 2× upsampling mode.
public enum UpsampleMode: String, Codable, Sendable {
    /// Nearest neighbour.
    case nearest
    /// Bilinear with align_corners semantics.
    case bilinear
}

/// Another name for `UpsampleMode`, as used by `Architecture.vgg19`.
public typealias UpsampleSpec = UpsampleMode

/// A convolution's activation.
public enum Activation: String, Codable, Sendable {
    /// max(0, x).
    case relu
    /// Identity.
    case none
}

/// Where a batch-normalised convolution takes its statistics from.
public enum BatchNormMode: String, Codable, Sendable {
    /// The stored running mean and variance.
    case running
    /// The statistics of the image itself (instance statistics).
    case instance
}

/// A stride-1 convolution that keeps height and width.
public struct ConvSpec: Codable, Sendable, Equatable {
    /// The tensor prefix: weights are `<name>.weight` `[out, in, k, k]`, `<name>.bias` `[out]`.
    public var name: String
    /// Input channels.
    public var `in`: Int
    /// Output channels.
    public var out: Int
    /// Kernel size (odd).
    public var kernel: Int
    /// Border mode: `zero` or `reflect`.
    public var padding: Padding
    /// The activation after the convolution (and batch normalisation).
    public var activation: Activation
    /// Batch normalisation between convolution and activation, if any.
    public var batchnorm: BatchNormMode?

    /// Makes a convolution.
    public init(name: String, in: Int, out: Int, kernel: Int = 3, padding: Padding = .zero,
                activation: Activation = .relu, batchnorm: BatchNormMode? = nil) {
        self.name = name
        self.in = `in`
        self.out = out
        self.kernel = kernel
        self.padding = padding
        self.activation = activation
        self.batchnorm = batchnorm
    }
}

/// One op of an encoder or decoder list, coded as `{"op": "<kind>", …}`.
public enum LayerOp: Codable, Sendable, Equatable {
    /// A convolution.
    case conv(ConvSpec)
    /// 2×2 max pooling with stride 2.
    case maxpool
    /// 2× upsampling.
    case upsample(mode: UpsampleMode)
    /// Encoder: the current activation becomes this level.
    case tap(level: String)
    /// Decoder, first op: start from this level's manipulated feature.
    case input(level: String)
    /// Decoder: bring in this level's manipulated feature.
    case merge(level: String, mode: MergeMode)

    private enum Key: String, CodingKey {
        case op, level, mode
    }

    /// Decodes from the `{"op": …}` object.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        let op = try container.decode(String.self, forKey: .op)
        switch op {
        case "conv": self = .conv(try ConvSpec(from: decoder))
        case "maxpool": self = .maxpool
        case "upsample":
            self = .upsample(mode: try container.decode(UpsampleMode.self, forKey: .mode))
        case "tap": self = .tap(level: try container.decode(String.self, forKey: .level))
        case "input": self = .input(level: try container.decode(String.self, forKey: .level))
        case "merge":
            self = .merge(level: try container.decode(String.self, forKey: .level),
                          mode: try container.decode(MergeMode.self, forKey: .mode))
        default:
            throw DecodingError.dataCorrupted(.init(
                codingPath: container.codingPath + [Key.op],
                debugDescription: "unknown op \"\(op)\" (conv, maxpool, upsample, tap, input,"
                    + " merge)"))
        }
    }

    /// Encodes as the `{"op": …}` object.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        switch self {
        case .conv(let spec):
            try container.encode("conv", forKey: .op)
            try spec.encode(to: encoder)
        case .maxpool:
            try container.encode("maxpool", forKey: .op)
        case .upsample(let mode):
            try container.encode("upsample", forKey: .op)
            try container.encode(mode, forKey: .mode)
        case .tap(let level):
            try container.encode("tap", forKey: .op)
            try container.encode(level, forKey: .level)
        case .input(let level):
            try container.encode("input", forKey: .op)
            try container.encode(level, forKey: .level)
        case .merge(let level, let mode):
            try container.encode("merge", forKey: .op)
            try container.encode(level, forKey: .level)
            try container.encode(mode, forKey: .mode)
        }
    }
}
