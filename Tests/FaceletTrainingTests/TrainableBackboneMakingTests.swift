import FaceletModel
import FaceletPackage
import FaceletTensor
import Testing

@testable import FaceletTraining

/// Building trainable backbones: seeded, from a package, with an imported encoder.
@Suite struct TrainableBackboneMakingTests {
    static let architecture = Architecture.vgg19(width: 1 / 32.0)

    @Test func seededBackboneIsTheRandomWeightsPackage() throws {
        let package = try RandomWeights.backbone(Self.architecture, seed: 4).package
        let fromPackage = try TrainableBackbone(package: package)
        let seeded = try TrainableBackbone.seeded(Self.architecture, seed: 4)
        #expect(seeded.decoderParameters == fromPackage.decoderParameters)
        #expect(seeded.encoderTensors == fromPackage.encoderTensors)
        #expect(seeded.decoderParameterNames.first == "decoder.conv5_1.weight")
        #expect(seeded.decoderParameterNames.last == "decoder.out.bias")
        #expect(seeded.decoderParameterNames.count
                    == 2 * Self.architecture.decoder.filter { op in
                        if case .conv = op { true } else { false }
                    }.count)
        #expect(seeded.encoderTensors.count == 2 * 13)
    }

    @Test func freshDecoderKeepsTheImportedEncoder() throws {
        let source = try RandomWeights.backbone(Self.architecture, seed: 4).package
        let fresh = try TrainableBackbone.freshDecoder(encoderFrom: source, seed: 9)
        let original = try TrainableBackbone(package: source)
        let other = try TrainableBackbone.seeded(Self.architecture, seed: 9)
        #expect(fresh.encoderTensors == original.encoderTensors)
        #expect(fresh.decoderParameters == other.decoderParameters)
        #expect(fresh.decoderParameters != original.decoderParameters)
    }

    @Test func batchNormalisedArchitectureIsRefusedWithItsCode() throws {
        var architecture = Self.architecture
        architecture.decoder = architecture.decoder.map { op in
            guard case .conv(var spec) = op, spec.name == "decoder.conv1_1" else { return op }
            spec.batchnorm = .instance
            return .conv(spec)
        }
        let package = try RandomWeights.backbone(architecture, seed: 1).package
        let error = #expect(throws: TrainingError.self) {
            try TrainableBackbone(package: package)
        }
        #expect(error?.code == .unsupportedArchitecture)
        #expect(error?.message.contains("decoder.conv1_1") == true)
    }

    @Test func missingTensorIsABackboneMismatch() throws {
        var tensors = try TrainableBackbone.seeded(Self.architecture, seed: 1).tensors
        tensors["encoder.conv2_1.bias"] = nil
        let error = #expect(throws: TrainingError.self) {
            try TrainableBackbone(architecture: Self.architecture, tensors: tensors)
        }
        #expect(error?.code == .backboneMismatch)
        tensors["encoder.conv2_1.bias"] = Tensor(zeros: [3])
        let shape = #expect(throws: TrainingError.self) {
            try TrainableBackbone(architecture: Self.architecture, tensors: tensors)
        }
        #expect(shape?.message.contains("encoder.conv2_1.bias") == true)
    }

    @Test func normalizeAndDenormalizeInvertEachOther() throws {
        let backbone = try TrainableBackbone.seeded(Self.architecture, seed: 1)
        let x = Tensor(shape: [1, 3, 1, 2], data: [0, 1, 0.5, 0.25, 0.485, 0.9])
        let normalized = backbone.normalize(x)
        #expect(abs(normalized.data[0] - (0 - 0.485) / 0.229) < 1e-6)
        #expect(abs(normalized.data[4] - (0.485 - 0.406) / 0.225) < 1e-6)
        let back = backbone.denormalize(normalized)
        for i in x.data.indices { #expect(abs(back.data[i] - x.data[i]) < 1e-6) }
    }
}
