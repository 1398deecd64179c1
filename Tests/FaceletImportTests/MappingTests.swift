import FaceletImport
import FaceletPackage
import Foundation
import Testing

@Suite struct MappingTests {
    /// Each Facelet tensor holds exactly the values of the checkpoint key it was mapped from.
    private func expectExactMapping(_ weights: ImportedWeights, stem: String,
                                    pairs: [(ours: String, source: String)]) throws {
        let expected = try Fixture.expected(stem)
        #expect(weights.tensors.count == pairs.count)
        for (ours, source) in pairs {
            let tensor = try #require(weights[ours], "\(ours)")
            let reference = try #require(expected[source], "\(source)")
            #expect(tensor.dtype == .f32)
            #expect(tensor.shape == reference.shape, "\(ours)")
            #expect(tensor.bitPatterns == reference.bitPatterns, "\(ours) ← \(source)")
        }
    }

    private static let vggIndices = [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28]
    private static let vggNames = ["conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1",
                                   "conv3_2", "conv3_3", "conv3_4", "conv4_1", "conv4_2",
                                   "conv4_3", "conv4_4", "conv5_1"]

    @Test func mapsTorchvisionFeaturesToEncoderNames() throws {
        let weights = try Importer.weights(contentsOf: Fixture.url("tv_vgg19.pth"))
        #expect(weights.layout == .torchvisionVGG19)
        #expect(weights.role == .encoder)
        #expect(weights.width == Fixture.width)
        let pairs = zip(Self.vggNames, Self.vggIndices).flatMap { name, index in
            [("encoder.\(name).weight", "features.\(index).weight"),
             ("encoder.\(name).bias", "features.\(index).bias")]
        }
        try expectExactMapping(weights, stem: "tv_vgg19", pairs: pairs)
        #expect(weights.ignoredKeys == ["features.30.weight", "features.30.bias",
                                        "features.32.weight", "features.32.bias",
                                        "features.34.weight", "features.34.bias",
                                        "classifier.0.weight", "classifier.0.bias",
                                        "classifier.6.weight", "classifier.6.bias"])
    }

    @Test func mapsTimmSafetensorsLikeTorchvision() throws {
        let weights = try Importer.weights(contentsOf: Fixture.url("timm_vgg19.safetensors"))
        #expect(weights.layout == .timmVGG19)
        #expect(weights.source.format == .safetensors)
        let pairs = zip(Self.vggNames, Self.vggIndices).flatMap { name, index in
            [("encoder.\(name).weight", "features.\(index).weight"),
             ("encoder.\(name).bias", "features.\(index).bias")]
        }
        // timm_vgg19 holds the same features as tv_vgg19 (the script copies them).
        try expectExactMapping(weights, stem: "tv_vgg19", pairs: pairs)
        #expect(weights.ignoredKeys.filter { !$0.hasPrefix("features.") }
                == ["head.fc.bias", "head.fc.weight", "pre_logits.fc1.bias",
                    "pre_logits.fc1.weight"].sorted())
    }

    @Test func mapsTheOriginalEncoderBlocks() throws {
        let weights = try Importer.weights(contentsOf: Fixture.url("original_encoder.pth"))
        #expect(weights.layout == .originalEncoder)
        let pairs = Self.vggNames.enumerated().flatMap { index, name in
            let block = index <= 4 ? 1 : index <= 8 ? 2 : 3
            return [("encoder.\(name).weight", "features_\(block).\(name).weight"),
                    ("encoder.\(name).bias", "features_\(block).\(name).bias")]
        }
        try expectExactMapping(weights, stem: "original_encoder", pairs: pairs)
        #expect(weights.ignoredKeys.isEmpty)
    }

    @Test func mapsTheOriginalDecoderWithBatchNormAndDropsUnusedModules() throws {
        let weights = try Importer.weights(contentsOf: Fixture.url("original_decoder.pth"))
        #expect(weights.layout == .originalDecoder)
        #expect(weights.role == .decoder)
        #expect(weights.width == Fixture.width)
        var pairs: [(String, String)] = []
        func conv(_ ours: String, _ source: String, bn: String?) {
            pairs += [("decoder.\(ours).weight", "\(source).weight"),
                      ("decoder.\(ours).bias", "\(source).bias")]
            if let bn {
                for part in ["weight", "bias", "running_mean", "running_var"] {
                    pairs.append(("decoder.\(ours).bn.\(part)", "\(bn).\(part)"))
                }
            }
        }
        for (block, count) in [(5, 3), (4, 3), (3, 3), (2, 2), (1, 1)] {
            for index in 1...count {
                conv("recon\(block)_\(index)", "recon\(block).conv.\(index)",
                     bn: "recon\(block).norm.\(index)")
            }
        }
        for block in 1...4 {
            conv("upsample\(block)", "upsample\(block).interp.conv",
                 bn: "upsample\(block).interp.norm")
        }
        conv("out", "recon0", bn: nil)
        try expectExactMapping(weights, stem: "original_decoder", pairs: pairs)
        #expect(weights.ignoredKeys.allSatisfy {
            $0.hasPrefix("upool") || $0.hasSuffix(".num_batches_tracked")
        })
        #expect(weights.ignoredKeys.contains("upool4.unpool.conv.weight"))
    }

    @Test func mapsTheOriginalBankLevelsFromALegacyFile() throws {
        let weights = try Importer.weights(contentsOf: Fixture.url("original_facehair.pth"))
        #expect(weights.layout == .originalBank)
        #expect(weights.source.format == .pytorchLegacy)
        let pairs = [("relu3_1", 1), ("relu4_1", 2), ("relu5_1", 3)].flatMap { level, block in
            [(0, 1), (1, 3), (2, 6)].flatMap { index, module in
                [("\(level).\(index).weight", "w_\(block).model.\(module).weight"),
                 ("\(level).\(index).bias", "w_\(block).model.\(module).bias")]
            }
        }
        try expectExactMapping(weights, stem: "original_facehair", pairs: pairs)
    }
}

@Suite struct VariantEncodingTests {
    /// Half-precision `nn.Parameter`s under a `state_dict` key, pickle protocol 4: converted
    /// to float32 exactly (every half is a float).
    @Test func readsWrappedHalfPrecisionParametersAtProtocol4() throws {
        let (stateDict, _) = try CheckpointReader.read(
            contentsOf: Fixture.url("bank_half_wrapped.pth"))
        #expect(stateDict.wrapperKey == "state_dict")
        #expect(stateDict.tensors.allSatisfy { $0.dtype == .float16 })
        let weights = try Importer.weights(contentsOf: Fixture.url("bank_half_wrapped.pth"))
        #expect(weights.layout == .originalBank)
        let expected = try Fixture.expected("original_facehair")
        for tensor in weights.tensors {
            let key = weights.sourceKey(of: tensor.name)
            let reference = try #require(expected[key])
            let half = reference.bitPatterns.map { Float(Float16(Float(bitPattern: $0))) }
            #expect(tensor.dtype == .f32)
            #expect(tensor.floats() == half, "\(key)")
        }
    }
}
