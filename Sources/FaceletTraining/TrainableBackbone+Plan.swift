import FaceletPackage
import FaceletTensor

/// One convolution as the trainer runs it.
struct ConvStep: Sendable {
    let name: String
    let inChannels: Int
    let outChannels: Int
    let kernel: Int
    let padding: FaceletTensor.Padding
    let relu: Bool
}

/// One op of the encoder or decoder with its level names resolved to indices into `levels`.
enum NetworkStep: Sendable {
    case conv(ConvStep)
    case maxPool
    case upsample(FaceletTensor.UpsampleMode)
    case tap(level: Int)
    case input(level: Int)
    case merge(level: Int, concat: Bool)
}

/// The encoder and decoder of an architecture translated into `NetworkStep`s.
struct NetworkPlan: Sendable {
    let encoder: [NetworkStep]
    let decoder: [NetworkStep]

    init(_ architecture: Architecture) throws(TrainingError) {
        do {
            try architecture.validate()
        } catch {
            throw TrainingError(.unsupportedArchitecture,
                                "the architecture is not valid: \(error)")
        }
        let levels = architecture.levels.map(\.name)
        encoder = try Self.translate(architecture.encoder, levels: levels)
        decoder = try Self.translate(architecture.decoder, levels: levels)
    }

    private static func translate(_ ops: [LayerOp], levels: [String])
        throws(TrainingError) -> [NetworkStep] {
        func index(_ level: String) throws(TrainingError) -> Int {
            guard let found = levels.firstIndex(of: level) else {
                throw TrainingError(.unsupportedArchitecture,
                                    "the architecture names level \(level), which it does not "
                                        + "declare")
            }
            return found
        }
        var steps: [NetworkStep] = []
        for op in ops {
            switch op {
            case .conv(let spec):
                if let batchnorm = spec.batchnorm {
                    throw TrainingError(
                        .unsupportedArchitecture,
                        "convolution \(spec.name) uses batch normalisation "
                            + "(\(batchnorm.rawValue)), which decoder training does not "
                            + "support yet; use an architecture without batchnorm")
                }
                let padding: FaceletTensor.Padding
                switch spec.padding {
                case .zero: padding = .zero
                case .reflect: padding = .reflect
                case .replicate: padding = .replicate
                case .mean:
                    // `Architecture.validate()` allows `mean` for the input padding only.
                    preconditionFailure("a convolution cannot pad with the input mean")
                }
                steps.append(.conv(ConvStep(name: spec.name, inChannels: spec.in,
                                            outChannels: spec.out, kernel: spec.kernel,
                                            padding: padding,
                                            relu: spec.activation == .relu)))
            case .maxpool:
                steps.append(.maxPool)
            case .upsample(let mode):
                steps.append(.upsample(mode == .nearest ? .nearest : .bilinear))
            case .tap(let level):
                steps.append(.tap(level: try index(level)))
            case .input(let level):
                steps.append(.input(level: try index(level)))
            case .merge(let level, let mode):
                steps.append(.merge(level: try index(level), concat: mode == .concat))
            }
        }
        return steps
    }
}
