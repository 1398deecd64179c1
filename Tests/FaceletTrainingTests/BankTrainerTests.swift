import FaceletTensor
import Foundation
import Testing
@testable import FaceletTraining

@Suite struct BankTrainerTests {
    private let layout = FeatureLayout(levels: [
        .init(name: "a", channels: 2, height: 4, width: 4),
        .init(name: "b", channels: 3, height: 2, width: 2),
    ])

    /// Inputs and a learnable target: Δv* = 0.5 · ψ + 0.2 (per element).
    private func sets(count: Int = 12) throws -> (FeatureStore, FeatureStore) {
        let inputs = try randomStore(layout: layout, count: count, seed: 21)
        let targets = try FeatureStore(layout: layout)
        for i in 0 ..< count {
            try targets.append(record: try inputs.record(i).map { 0.5 * $0 + 0.2 })
        }
        return (inputs, targets)
    }

    private let options = BankTrainingOptions(epochs: 3, batchSize: 4, learningRate: 3e-3,
                                              seed: 8)

    @Test func sameSeedGivesBitIdenticalParameters() throws {
        let (x, t) = try sets()
        let a = try BankTrainer.train(inputs: x, targets: t, options: options)
        let b = try BankTrainer.train(inputs: x, targets: t, options: options)
        #expect(a.network == b.network)
        #expect(a.epochLosses == b.epochLosses)
        var other = options
        other.seed = 9
        let c = try BankTrainer.train(inputs: x, targets: t, options: other)
        #expect(c.network != a.network)
    }

    @Test func resumingAfterAnInterruptionEqualsAnUninterruptedRun() throws {
        let (x, t) = try sets()
        let folder = try TemporaryFolder()
        let checkpoint = folder.file("run.ckpt")
        let whole = try BankTrainer.train(inputs: x, targets: t, options: options,
                                          fingerprint: "run")
        var seen: [Int] = []
        let stopped = try BankTrainer.train(inputs: x, targets: t, options: options,
                                            fingerprint: "run", checkpoint: checkpoint,
                                            stopAfterEpoch: 1,
                                            progress: { seen.append($0.epoch) })
        #expect(!stopped.completed && stopped.epochs == 1 && seen == [1])
        #expect(FileManager.default.fileExists(atPath: checkpoint.path))
        let resumed = try BankTrainer.train(inputs: x, targets: t, options: options,
                                            fingerprint: "run", checkpoint: checkpoint,
                                            progress: { seen.append($0.epoch) })
        #expect(seen == [1, 2, 3])
        #expect(resumed.completed && resumed.epochs == 3)
        #expect(resumed.network == whole.network)
        #expect(resumed.epochLosses == whole.epochLosses)
    }

    @Test func checkpointOfAnotherRunIsRefused() throws {
        let (x, t) = try sets()
        let folder = try TemporaryFolder()
        let checkpoint = folder.file("run.ckpt")
        _ = try BankTrainer.train(inputs: x, targets: t, options: options, fingerprint: "one",
                                  checkpoint: checkpoint, stopAfterEpoch: 1)
        do {
            _ = try BankTrainer.train(inputs: x, targets: t, options: options,
                                      fingerprint: "two", checkpoint: checkpoint)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .badCheckpoint)
        }
    }

    @Test func checkpointRoundTripsAndDamageIsDetected() throws {
        let network = BankNetwork(levels: ["a"], channels: [2], seed: 1,
                                  outputBias: [[0.5, -0.5]])
        var adam = Adam(parameterCounts: network.parameterCounts, learningRate: 0.01)
        var params = network.parameters
        adam.update(&params, gradients: params.map { $0.map { $0 * 0.3 } })
        var random = TrainingRandom(seed: 77)
        _ = random.next()
        let saved = TrainingCheckpoint(fingerprint: "f", epoch: 2, network: network,
                                       optimiser: adam, random: random, losses: [1.5, 0.25])
        let folder = try TemporaryFolder()
        let url = folder.file("c.ckpt")
        try saved.write(to: url)
        #expect(try TrainingCheckpoint.read(from: url) == saved)
        var bytes = try Data(contentsOf: url)
        bytes.removeLast(4)
        try bytes.write(to: url)
        do {
            _ = try TrainingCheckpoint.read(from: url)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .badCheckpoint)
        }
    }

    @Test func nonFiniteLossIsAClearError() throws {
        let inputs = try FeatureStore(layout: layout)
        let targets = try FeatureStore(layout: layout)
        var record = [Float](repeating: 0.5, count: layout.recordCount)
        try targets.append(record: record)
        record[3] = .nan
        try inputs.append(record: record)
        do {
            _ = try BankTrainer.train(inputs: inputs, targets: targets, options: options)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .nonFiniteLoss)
            #expect(error.message.contains("no package was written"))
        }
    }

    @Test func trainingReducesTheLossOnALearnableTarget() throws {
        let (x, t) = try sets(count: 16)
        var longer = options
        longer.epochs = 60
        longer.learningRate = 1e-2
        let trained = try BankTrainer.train(inputs: x, targets: t, options: longer)
        #expect(trained.finalLoss < trained.initialLoss / 4)
    }

    @Test func rejectsBadOptions() {
        #expect(throws: TrainingError.self) {
            try BankTrainingOptions(epochs: 0).validate()
        }
        #expect(throws: TrainingError.self) {
            try BankTrainingOptions(batchSize: 0).validate()
        }
        #expect(throws: TrainingError.self) {
            try BankTrainingOptions(learningRate: -1).validate()
        }
    }
}
