import FaceletPackage
import FaceletTensor
import Testing

@testable import FaceletTraining

/// Turning a `difference` decoder into an `affine-difference` one that makes the same edits.
@Suite struct AffineConversionTests {
    static func differenceBackbone() throws -> TrainableBackbone {
        var backbone = try TrainableBackbone.seeded(
            Architecture.vgg19(width: 1 / 32.0, output: .difference), seed: 4)
        var random = TrainingRandom(seed: 8)
        for index in backbone.decoderParameters.indices {
            for i in backbone.decoderParameters[index].data.indices {
                backbone.decoderParameters[index].data[i] += 0.05 * random.nextGaussian()
            }
        }
        return backbone
    }

    @Test func theConvertedDecoderMakesTheSameEditsUntilTrained() throws {
        let original = try Self.differenceBackbone()
        let converted = try original.convertedToAffineDifference()
        #expect(converted.architecture.output == .affineDifference)
        #expect(converted.decoderParameters.count == original.decoderParameters.count)
        #expect(converted.encoderTensors == original.encoderTensors)

        let x = TrainableBackboneGradientTests.images(seed: 41)
        let psi = original.encode(x)
        let other = TrainableBackboneGradientTests.images(seed: 42)
        let shifted = zip(psi, original.encode(other)).map { mine, theirs in
            Ops.addScaled(mine, Ops.addScaled(theirs, mine, scale: -1), scale: 0.6)
        }
        let expected = Ops.addScaled(original.decode(shifted), original.decode(psi), scale: -1)
        let coefficientsAfter = converted.decode(shifted)
        let coefficientsBefore = converted.decode(psi)
        #expect(coefficientsAfter.shape == [2, 12, 32, 32])
        let change = converted.editChange(after: coefficientsAfter, before: coefficientsBefore,
                                          images: x)
        let worst = zip(change.data, expected.data).map { abs($0 - $1) }.max() ?? .infinity
        let size = expected.data.map(abs).max() ?? 0
        #expect(size > 1e-3, "the shift changes the decode")
        #expect(worst <= 1e-5 * max(1, size), "largest difference \(worst) (change up to \(size))")
        // The matrix channels start at zero: the identity transform.
        #expect(coefficientsAfter.data[0 ..< 9 * 32 * 32].allSatisfy { $0 == 0 })
    }

    @Test(arguments: [OutputMode.image, OutputMode.addInput])
    func onlyADifferenceDecoderConverts(output: OutputMode) throws {
        let backbone = try TrainableBackbone.seeded(
            Architecture.vgg19(width: 1 / 32.0, output: output), seed: 4)
        #expect {
            _ = try backbone.convertedToAffineDifference()
        } throws: { error in
            (error as? TrainingError)?.code == .invalidOption
        }
    }

    @Test func anAffineDecoderWithoutPairedEditsIsRefused() throws {
        let backbone = try Self.differenceBackbone().convertedToAffineDifference()
        let options = DecoderTrainingOptions(crop: CropOptions(size: 32), editPairWeight: 0)
        #expect {
            _ = try DecoderTrainer(backbone: backbone, photos: TestImages.photoSet(count: 1),
                                   options: options)
        } throws: { error in
            (error as? TrainingError)?.code == .invalidOption
                && (error as? TrainingError)?.message.contains("--edit-pairs") == true
        }
    }
}
