import FaceletTensor
import Foundation

/// Options of the Adam training of a bank on Eq. 7.
public struct BankTrainingOptions: Sendable, Equatable, Codable {
    /// Passes over the training samples.
    public var epochs: Int
    /// Samples per Adam step.
    public var batchSize: Int
    /// Adam's step size.
    public var learningRate: Float
    /// Seeds the initial weights and the mini-batch order.
    public var seed: UInt64
    /// The border mode of each of the bank's three convolutions.
    public var padding: [Padding]

    /// Makes options; the defaults suit a few hundred samples on a narrow backbone.
    public init(epochs: Int = 30, batchSize: Int = 8, learningRate: Float = 1e-3,
                seed: UInt64 = 1, padding: [Padding] = [.zero, .zero, .zero]) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.seed = seed
        self.padding = padding
    }

    /// Checks the ranges.
    ///
    /// - Throws: `TrainingError` `invalid-option`.
    public func validate() throws(TrainingError) {
        guard epochs >= 1, epochs <= 100_000 else {
            throw TrainingError(.invalidOption, "epochs must lie in 1...100000, got \(epochs)")
        }
        guard batchSize >= 1, batchSize <= 4096 else {
            throw TrainingError(.invalidOption, "The batch size must lie in 1...4096, "
                                    + "got \(batchSize)")
        }
        guard learningRate > 0, learningRate.isFinite else {
            throw TrainingError(.invalidOption, "The learning rate must be positive")
        }
        guard padding.count == 3, padding.allSatisfy({ $0 == .zero || $0 == .reflect }) else {
            throw TrainingError(.invalidOption, "A bank needs three paddings of zero/reflect")
        }
    }
}

/// One line of training progress, passed to the caller after each epoch.
public struct TrainingProgress: Sendable, Equatable {
    /// Epochs done (1-based count).
    public var epoch: Int
    /// Epochs in the run.
    public var epochs: Int
    /// The mean training loss of this epoch (Eq. 7 in training units, see `BankTrainer`).
    public var loss: Float
    /// Seconds spent in this process's training so far.
    public var elapsed: Double
    /// Estimated seconds left.
    public var remaining: Double
}

/// A trained bank and how its training went.
public struct TrainedBank: Sendable {
    /// The bank, in feature units: `network.forward(level:ψ)` is Δv for ψ as the backbone
    /// computes it.
    public var network: BankNetwork
    /// Eq. 7 on the training set (training units) before the first step.
    public var initialLoss: Float
    /// Eq. 7 on the training set (training units) with the final parameters.
    public var finalLoss: Float
    /// The mean loss of each epoch.
    public var epochLosses: [Float]
    /// Epochs completed; fewer than requested when stopped early.
    public var epochs: Int
    /// Whether every requested epoch ran.
    public var completed: Bool
}

/// Adam on Eq. 7, ‖V(ψ(x)) − Δv*(x)‖², for every level of a bank, in mini-batches.
///
/// Each level's features and targets are divided by the root mean square `s_L` of that
/// level's features over the training set, so one learning rate suits every level and backbone;
/// the loss in "training units" is Σ_L mean((V_L(ψ/s_L) − Δv*/s_L)²) (a mean over the batch,
/// channels and positions, summed over levels). The result is folded back into feature units
/// (`BankNetwork.rescaled`), which is exact since ReLU commutes with positive scales.
///
/// The run is deterministic: the same inputs, options and seed give bit-identical parameters
/// (on the same machine and build). After every epoch a checkpoint is written atomically when a
/// URL is given, and a run started with an existing checkpoint of the same fingerprint resumes
/// from it and ends bit-identical to an uninterrupted run. A NaN or infinite loss stops the run
/// with `non-finite-loss`.
public enum BankTrainer {
    /// The levels' scales `s_L` (see the type's discussion).
    public static func scales(_ inputs: FeatureStore) -> [Float] {
        inputs.layout.levels.indices.map { inputs.rootMeanSquare(level: $0) }
    }

    /// Trains a bank.
    ///
    /// - Parameters:
    ///   - inputs: ψ(x) for the training samples.
    ///   - targets: Δv*(x) for the same samples, in the same order.
    ///   - fingerprint: identifies the run; a checkpoint with another fingerprint is refused.
    ///   - checkpoint: where to write a checkpoint after every epoch (and resume from).
    ///   - stopAfterEpoch: stop (with `completed == false`) once this many epochs are done.
    ///   - progress: called after every epoch.
    /// - Throws: `TrainingError` `invalid-option`, `non-finite-loss`, `bad-checkpoint`, `io`.
    public static func train(inputs: FeatureStore, targets: FeatureStore,
                             options: BankTrainingOptions, fingerprint: String = "",
                             checkpoint: URL? = nil, stopAfterEpoch: Int? = nil,
                             progress: (TrainingProgress) -> Void = { _ in })
        throws(TrainingError) -> TrainedBank {
        try options.validate()
        precondition(inputs.layout == targets.layout && inputs.count == targets.count
                        && inputs.count > 0, "Inputs and targets must pair up")
        let layout = inputs.layout
        let scales = scales(inputs)
        let targetMeans = targets.meanDescriptor()
        var offset = 0
        var outputBias: [[Float]] = []
        for (l, level) in layout.levels.enumerated() {
            outputBias.append(targetMeans[offset ..< offset + level.channels].map {
                $0 / scales[l]
            })
            offset += level.channels
        }
        var state = TrainingCheckpoint(
            fingerprint: fingerprint, epoch: 0,
            network: BankNetwork(levels: layout.levels.map(\.name),
                                 channels: layout.levels.map(\.channels),
                                 padding: options.padding, seed: options.seed,
                                 outputBias: outputBias),
            optimiser: Adam(parameterCounts: [], learningRate: options.learningRate),
            random: TrainingRandom(seed: options.seed ^ 0x5EED_BA4C), losses: [])
        state.optimiser = Adam(parameterCounts: state.network.parameterCounts,
                               learningRate: options.learningRate)
        let initialLoss = try evaluate(state.network, inputs: inputs, targets: targets,
                                       scales: scales, batchSize: options.batchSize)
        if let checkpoint, FileManager.default.fileExists(atPath: checkpoint.path) {
            let saved = try TrainingCheckpoint.read(from: checkpoint)
            guard saved.fingerprint == fingerprint, saved.network.levels == state.network.levels,
                  saved.network.channels == state.network.channels,
                  saved.network.padding == state.network.padding,
                  saved.epoch <= options.epochs else {
                throw TrainingError(.badCheckpoint, "The checkpoint belongs to another training "
                                        + "run (other photos, backbone or options); delete it "
                                        + "or give another checkpoint path",
                                    path: checkpoint.path)
            }
            state = saved
        }

        let clock = ContinuousClock()
        let started = clock.now
        let firstEpoch = state.epoch
        while state.epoch < options.epochs {
            if let stopAfterEpoch, state.epoch >= stopAfterEpoch { break }
            let loss = try runEpoch(&state, inputs: inputs, targets: targets, scales: scales,
                                    batchSize: options.batchSize)
            state.epoch += 1
            state.losses.append(loss)
            if let checkpoint { try state.write(to: checkpoint) }
            let elapsed = seconds(clock.now - started)
            let perEpoch = elapsed / Double(state.epoch - firstEpoch)
            progress(TrainingProgress(epoch: state.epoch, epochs: options.epochs, loss: loss,
                                      elapsed: elapsed,
                                      remaining: perEpoch * Double(options.epochs - state.epoch)))
        }
        let finalLoss = try evaluate(state.network, inputs: inputs, targets: targets,
                                     scales: scales, batchSize: options.batchSize)
        return TrainedBank(network: state.network.rescaled(scales), initialLoss: initialLoss,
                           finalLoss: finalLoss, epochLosses: state.losses, epochs: state.epoch,
                           completed: state.epoch >= options.epochs)
    }

    /// Eq. 7 in training units over the whole set for a network in training units.
    public static func evaluate(_ network: BankNetwork, inputs: FeatureStore,
                                targets: FeatureStore, scales: [Float],
                                batchSize: Int) throws(TrainingError) -> Float {
        var total = 0.0
        var start = 0
        while start < inputs.count {
            let indices = Array(start ..< min(inputs.count, start + batchSize))
            let (x, t) = try scaledBatch(indices, inputs: inputs, targets: targets,
                                         scales: scales)
            for level in network.levels.indices {
                let output = network.forward(level: level, x[level]).output
                let loss = Gradients.meanSquaredError(output, t[level]).loss
                total += Double(loss) * Double(indices.count)
            }
            start += indices.count
        }
        let mean = Float(total / Double(inputs.count))
        guard mean.isFinite else { throw nonFinite() }
        return mean
    }

    private static func runEpoch(_ state: inout TrainingCheckpoint, inputs: FeatureStore,
                                 targets: FeatureStore, scales: [Float],
                                 batchSize: Int) throws(TrainingError) -> Float {
        let order = state.random.permutation(inputs.count)
        var total = 0.0
        var start = 0
        while start < order.count {
            let indices = Array(order[start ..< min(order.count, start + batchSize)])
            let (x, t) = try scaledBatch(indices, inputs: inputs, targets: targets,
                                         scales: scales)
            var gradients: [[Float]] = []
            var batchLoss: Float = 0
            for level in state.network.levels.indices {
                let activations = state.network.forward(level: level, x[level])
                let (loss, grad) = Gradients.meanSquaredError(activations.output, t[level])
                batchLoss += loss
                gradients += state.network.backward(level: level, activations, gradOutput: grad)
            }
            guard batchLoss.isFinite else { throw nonFinite() }
            state.optimiser.update(&state.network.parameters, gradients: gradients)
            total += Double(batchLoss) * Double(indices.count)
            start += indices.count
        }
        return Float(total / Double(inputs.count))
    }

    private static func scaledBatch(_ indices: [Int], inputs: FeatureStore,
                                    targets: FeatureStore, scales: [Float])
        throws(TrainingError) -> ([Tensor], [Tensor]) {
        var x = try inputs.batch(indices)
        var t = try targets.batch(indices)
        for l in x.indices {
            let inverse = 1 / scales[l]
            for i in x[l].data.indices { x[l].data[i] *= inverse }
            for i in t[l].data.indices { t[l].data[i] *= inverse }
        }
        return (x, t)
    }

    private static func nonFinite() -> TrainingError {
        TrainingError(.nonFiniteLoss, "The loss became NaN or infinite; lower the learning "
                          + "rate, check the photos, and start again (no package was written)")
    }

    private static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}
