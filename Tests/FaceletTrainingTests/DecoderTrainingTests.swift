import FaceletPackage
import FaceletTensor
import Foundation
import Testing

@testable import FaceletTraining

/// Decoder training on crops of the real portraits in ../shared/data/faces, with a 1/16-width
/// VGG-19 (channels 4/8/16/32) on 32-pixel crops so each run takes a few seconds.
@Suite struct DecoderTrainingTests {
    static let facesFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/data/faces").standardizedFileURL

    static func photos() throws -> PhotoSet {
        try PhotoSet.load(folder: facesFolder, workingSide: 96)
    }

    static func options(steps: Int, shiftedSteps: Int = 0) -> DecoderTrainingOptions {
        DecoderTrainingOptions(steps: steps, batchSize: 3,
                               crop: CropOptions(size: 32, minScale: 0.3, maxScale: 0.8),
                               learningRate: 2e-3, featureWeight: 0.1, seed: 5,
                               shiftedSteps: shiftedSteps, heldOutCrops: 0,
                               checkpointInterval: 2)
    }

    static func backbone() throws -> TrainableBackbone {
        try TrainableBackbone.seeded(Architecture.vgg19(width: 1 / 16.0), seed: 3)
    }

    static func temporaryFile() -> URL {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("decoder-\(UUID().uuidString).ckpt")
    }

    /// The Eq. 4 loss of a fixed batch (step 0's crops).
    static func fixedBatchLoss(_ network: TrainableBackbone, _ trainer: DecoderTrainer) -> Float {
        let x = network.normalize(trainer.batch(step: 0))
        return network.reconstructionLoss(x, featureWeight: 0.1).loss.total
    }

    @Test func fortyStepsOnRealCropsCutTheLossByAtLeastFifteenPercent() throws {
        let trainer = try DecoderTrainer(backbone: try Self.backbone(), photos: try Self.photos(),
                                         options: Self.options(steps: 40))
        let before = Self.fixedBatchLoss(trainer.backbone, trainer)
        var reported: [DecoderTrainingProgress] = []
        let result = try trainer.run { reported.append($0) }
        let after = Self.fixedBatchLoss(result.backbone, trainer)
        #expect(after < 0.85 * before, "loss on a fixed batch: \(before) before, \(after) after")
        #expect(reported.map(\.step) == Array(1...40))
        #expect(reported.last?.remainingSeconds == 0)
        #expect(result.steps == 40)
        #expect(reported.allSatisfy { $0.loss.features.count == 3 && $0.psnr > 0 })
    }

    @Test func equalSeedsGiveBitIdenticalDecoders() throws {
        let photos = try Self.photos()
        let first = try DecoderTrainer(backbone: try Self.backbone(), photos: photos,
                                       options: Self.options(steps: 4)).run()
        let second = try DecoderTrainer(backbone: try Self.backbone(), photos: photos,
                                        options: Self.options(steps: 4)).run()
        #expect(first.backbone.decoderParameters == second.backbone.decoderParameters)
        #expect(first.finalLoss == second.finalLoss)
        var otherSeed = Self.options(steps: 4)
        otherSeed.seed = 6
        let third = try DecoderTrainer(backbone: try Self.backbone(), photos: photos,
                                       options: otherSeed).run()
        #expect(third.backbone.decoderParameters != first.backbone.decoderParameters)
    }

    @Test func resumedRunEqualsUninterruptedRun() throws {
        let photos = try Self.photos()
        var options = Self.options(steps: 6, shiftedSteps: 4)
        options.finalLearningRateFraction = 0.5
        let uninterrupted = try DecoderTrainer(backbone: try Self.backbone(), photos: photos,
                                               options: options).run()

        let checkpoint = Self.temporaryFile()
        defer { try? FileManager.default.removeItem(at: checkpoint) }
        let trainer = try DecoderTrainer(backbone: try Self.backbone(), photos: photos,
                                         options: options)
        let interrupted = try trainer.run(checkpoint: checkpoint, stopAfter: 3)
        #expect(interrupted.steps == 3)
        var resumedSteps: [Int] = []
        let resumed = try trainer.run(checkpoint: checkpoint) { resumedSteps.append($0.step) }
        #expect(resumedSteps == [4, 5, 6])
        #expect(resumed.steps == 6)
        #expect(resumed.backbone.decoderParameters == uninterrupted.backbone.decoderParameters)
        #expect(resumed.finalLoss == uninterrupted.finalLoss)
    }

    @Test func checkpointOfAnotherRunIsRefused() throws {
        let photos = try Self.photos()
        let checkpoint = Self.temporaryFile()
        defer { try? FileManager.default.removeItem(at: checkpoint) }
        _ = try DecoderTrainer(backbone: try Self.backbone(), photos: photos,
                               options: Self.options(steps: 2)).run(checkpoint: checkpoint)
        var other = Self.options(steps: 2)
        other.featureWeight = 0.5
        let error = #expect(throws: TrainingError.self) {
            try DecoderTrainer(backbone: try Self.backbone(), photos: photos, options: other)
                .run(checkpoint: checkpoint)
        }
        #expect(error?.code == .badCheckpoint)

        try Data("FDCKPT01 truncated".utf8).write(to: checkpoint)
        let damaged = #expect(throws: TrainingError.self) {
            try DecoderTrainer(backbone: try Self.backbone(), photos: photos,
                               options: Self.options(steps: 2)).run(checkpoint: checkpoint)
        }
        #expect(damaged?.code == .badCheckpoint)
    }

    @Test func trainedDecoderBecomesABackbonePackageWithProvenance() throws {
        let photos = try Self.photos()
        let (training, heldOut) = photos.split(heldOut: 1)
        var options = Self.options(steps: 2)
        options.heldOutCrops = 2
        let result = try DecoderTrainer(backbone: try Self.backbone(), photos: training,
                                        heldOut: heldOut, options: options).run()
        let (data, package) = try result.package(name: "test-backbone", version: "1")
        let reread = try PackageReader.read(data)
        #expect(reread.contentDigest == package.contentDigest)
        let restored = try TrainableBackbone(package: reread)
        #expect(restored.decoderParameters == result.backbone.decoderParameters)
        #expect(restored.encoderTensors == result.backbone.encoderTensors)
        let provenance = reread.manifest.provenance
        #expect(provenance["photos"] == training.digest.description)
        #expect(provenance["held_out_photos"] == heldOut.digest.description)
        #expect(provenance["steps"] == "2")
        #expect(provenance["omega"] == "0.1")
        #expect(provenance["final_loss"] == String(result.finalLoss.total))
        let psnr = try #require(result.heldOutPSNR)
        #expect(provenance["held_out_psnr_db"] == String(format: "%.2f", psnr))
        #expect(psnr > 0 && psnr < 60)
    }

    @Test func learningRateDecaysExponentiallyToTheFinalFraction() throws {
        var options = Self.options(steps: 11)
        options.learningRate = 1e-3
        options.finalLearningRateFraction = 0.01
        let trainer = try DecoderTrainer(backbone: try Self.backbone(), photos: try Self.photos(),
                                         options: options)
        #expect(trainer.learningRate(step: 0) == 1e-3)
        #expect(abs(trainer.learningRate(step: 5) - 1e-4) < 1e-9)
        #expect(abs(trainer.learningRate(step: 10) - 1e-5) < 1e-10)
        options.finalLearningRateFraction = 1
        let constant = try DecoderTrainer(backbone: try Self.backbone(),
                                          photos: try Self.photos(), options: options)
        #expect(constant.learningRate(step: 7) == 1e-3)
    }

    @Test func explodingLossStopsWithNonFiniteLossError() throws {
        var options = Self.options(steps: 6)
        options.learningRate = 1e6
        let checkpoint = Self.temporaryFile()
        defer { try? FileManager.default.removeItem(at: checkpoint) }
        let error = #expect(throws: TrainingError.self) {
            try DecoderTrainer(backbone: try Self.backbone(), photos: try Self.photos(),
                               options: options).run(checkpoint: checkpoint)
        }
        #expect(error?.code == .nonFiniteLoss)
        // The checkpoints written before the failure hold finite parameters only.
        if let saved = try DecoderCheckpoint.read(from: checkpoint) {
            #expect(saved.parameters.allSatisfy { $0.data.allSatisfy(\.isFinite) })
        }
    }

    @Test(arguments: [
        (DecoderTrainingOptions(steps: 0), "steps"),
        (DecoderTrainingOptions(batchSize: 0), "batch"),
        (DecoderTrainingOptions(crop: CropOptions(size: 40)), "crop"),
        (DecoderTrainingOptions(learningRate: .nan), "learning rate"),
        (DecoderTrainingOptions(featureWeight: -1), "ω"),
        (DecoderTrainingOptions(finalLearningRateFraction: 0), "final learning rate"),
        (DecoderTrainingOptions(batchSize: 1, shiftedSteps: 5), "shifted"),
        (DecoderTrainingOptions(pixelWeight: -1), "pixel weight"),
        (DecoderTrainingOptions(steps: 2, shiftedSteps: 5), "exceed"),
        (DecoderTrainingOptions(featureWeight: 0, pixelWeight: 0), "nothing to train"),
    ])
    func badOptionsAreRefused(options: DecoderTrainingOptions, mentions: String) throws {
        let error = #expect(throws: TrainingError.self) {
            try DecoderTrainer(backbone: try Self.backbone(), photos: try Self.photos(),
                               options: options)
        }
        #expect(error?.code == .invalidOption)
        #expect(error?.message.contains(mentions) == true, "\(error?.message ?? "")")
    }

    @Test func editsAloneTeachADifferenceDecoderTheChangeOfAFixedEdit() throws {
        // Pixel weight and ω at 0: only the paired-edit term trains. Its loss on a fixed batch
        // and fixed edits must fall, and the reported losses carry no pixel or feature part.
        var options = Self.options(steps: 30)
        options.pixelWeight = 0
        options.featureWeight = 0
        options.editPairWeight = 1
        let start = try TrainableBackbone.seeded(
            Architecture.vgg19(width: 1 / 16.0, output: .difference), seed: 3)
        let trainer = try DecoderTrainer(backbone: start, photos: try Self.photos(),
                                         options: options)
        func pairLoss(_ network: TrainableBackbone) -> Float {
            let x = network.normalize(trainer.batch(step: 0))
            return trainer.editPairTerm(network, images: x, features: network.encode(x),
                                        step: 0).loss
        }
        let before = pairLoss(start)
        // One step's gradients are exactly the paired-edit term's, and its PSNR is that of
        // the plain decode the term makes.
        let x = start.normalize(trainer.batch(step: 0))
        let term = trainer.editPairTerm(start, images: x, features: start.encode(x), step: 0)
        let first = trainer.trainingStep(start, step: 0)
        #expect(first.gradients == term.gradients)
        #expect(first.psnr == start.psnr(reconstruction: term.decoded, original: x))
        var reported: [DecoderTrainingProgress] = []
        let result = try trainer.run { reported.append($0) }
        let after = pairLoss(result.backbone)
        #expect(after < 0.9 * before, "paired-edit loss: \(before) before, \(after) after")
        #expect(reported.allSatisfy {
            $0.loss.pixel == 0 && $0.loss.features.allSatisfy { $0 == 0 }
        })
        #expect(result.provenance["pixel_weight"] == "0.0")
    }

    @Test func optionsWrittenBeforeThePixelWeightReadAsWeightOne() throws {
        var json = try JSONSerialization.jsonObject(
            with: JSONEncoder().encode(Self.options(steps: 3))) as? [String: Any] ?? [:]
        json.removeValue(forKey: "pixelWeight")
        let data = try JSONSerialization.data(withJSONObject: json)
        let decoded = try JSONDecoder().decode(DecoderTrainingOptions.self, from: data)
        #expect(decoded.pixelWeight == 1)
        #expect(decoded == Self.options(steps: 3))
    }
}
