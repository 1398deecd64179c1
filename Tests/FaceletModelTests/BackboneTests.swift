import FaceletModel
import FaceletPackage
import FaceletTensor
import Foundation
import Testing

@Suite("Backbone")
struct BackboneTests {
    @Test("each level has the declared channels at the declared stride", arguments: [
        MergeMode.concat, MergeMode.add,
    ])
    func levelShapes(_ skip: MergeMode) throws {
        let (_, backbone) = try randomBackbone(.vgg19(width: 1 / 16.0, skip: skip))
        let features = backbone.encode(Tensor(repeating: 0.3, shape: [1, 3, 48, 32]))
        #expect(features.names == ["relu3_1", "relu4_1", "relu5_1"])
        for level in backbone.levels {
            let shape = features[level.name]?.shape ?? []
            #expect(shape == [1, level.channels, 48 / level.stride, 32 / level.stride])
        }
        #expect(backbone.decode(features).shape == [1, 3, 48, 32])
    }

    @Test("a package read back from its bytes builds the same network")
    func buildsFromReadBytes() throws {
        let arch = withBatchNorm(.vgg19(width: 1 / 16.0, upsample: .bilinear), .running)
        let (data, written) = try RandomWeights.backbone(arch, seed: 21, biasScale: 0.1)
        let first = try Backbone(package: written)
        let second = try Backbone(package: PackageReader.read(data))
        #expect(first.contentDigest == second.contentDigest)
        let input = Tensor(repeating: 0.6, shape: [1, 3, 16, 16])
        #expect(first.encode(input) == second.encode(input))
    }

    @Test("normalise and denormalise use the architecture's mean and std")
    func normalisation() throws {
        let (_, backbone) = try randomBackbone(.vgg19(width: 1 / 16.0))
        let image = Tensor(shape: [1, 3, 1, 2], data: [0, 1, 0.5, 0.5, 0.2, 0.9])
        let normalised = backbone.normalise(image)
        let mean = Architecture.imageNetMean, std = Architecture.imageNetStd
        let expected = image.data.enumerated().map { index, value in
            Float((Double(value) - mean[index / 2]) / std[index / 2])
        }
        #expect(close(normalised.data, expected, relative: 1e-6))
        #expect(close(backbone.denormalise(normalised).data, image.data, relative: 1e-6))
    }
}
