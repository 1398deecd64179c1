import Foundation
import Testing
@testable import FaceletPackage

@Suite struct ArchitectureTests {
    /// The decoder of /work/shared/bench/peer_onnx.py (DECODER), as (in, out) per conv; "up" and
    /// "cat" are markers.
    static let peerDecoder: [String] = [
        "512>512", "up", "cat", "1024>512", "512>512", "512>512", "512>512", "512>256", "up",
        "cat", "512>256", "256>256", "256>256", "256>256", "256>128", "up",
        "128>128", "128>64", "up", "64>64", "64>3",
    ]

    /// VGG-19's convolutions through relu5_1 (torchvision vgg19 features[0...28]).
    static let vggEncoder: [String] = [
        "3>64", "64>64", "pool", "64>128", "128>128", "pool", "128>256", "tap", "256>256",
        "256>256", "256>256", "pool", "256>512", "tap", "512>512", "512>512", "512>512", "pool",
        "512>512", "tap",
    ]

    private func summary(_ ops: [LayerOp]) -> [String] {
        ops.compactMap { op in
            switch op {
            case .conv(let spec): "\(spec.in)>\(spec.out)"
            case .maxpool: "pool"
            case .upsample: "up"
            case .merge: "cat"
            case .tap: "tap"
            case .input: nil
            }
        }
    }

    @Test func vgg19MatchesThePeerNetworkAtFullWidth() throws {
        let arch = Architecture.vgg19(width: 1)
        try arch.validate()
        #expect(summary(arch.encoder) == Self.vggEncoder)
        #expect(summary(arch.decoder) == Self.peerDecoder)
        #expect(arch.decoder.first == .input(level: "relu5_1"))
        #expect(arch.levels == [LevelSpec(name: "relu3_1", channels: 256, stride: 4),
                                LevelSpec(name: "relu4_1", channels: 512, stride: 8),
                                LevelSpec(name: "relu5_1", channels: 512, stride: 16)])
        let convs = arch.convolutions
        #expect(convs.count == 13 + 15)
        #expect(convs.prefix(9).map(\.name) == ["encoder.conv1_1", "encoder.conv1_2",
                                                "encoder.conv2_1", "encoder.conv2_2",
                                                "encoder.conv3_1", "encoder.conv3_2",
                                                "encoder.conv3_3", "encoder.conv3_4",
                                                "encoder.conv4_1"])
        #expect(convs.last?.name == "decoder.out")
        #expect(convs.last?.activation == Activation.none)
        #expect(convs.dropLast().allSatisfy { $0.activation == .relu && $0.kernel == 3 })
        #expect(arch.input == InputSpec(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225],
                                        padMultiple: 16, padMode: .reflect))
    }

    @Test(arguments: [1.0, 0.5, 0.25, 1.0 / 64, 0.001, 1.3])
    func vgg19ScalesChannelsAndStaysValid(_ width: Double) throws {
        let arch = Architecture.vgg19(width: width)
        try arch.validate()
        let c = { (base: Int) in max(1, Int((Double(base) * width).rounded())) }
        #expect(arch.levels.map(\.channels) == [c(256), c(512), c(512)])
        #expect(arch.convolutions.first?.out == c(64))
    }

    @Test func vgg19WithAddedSkipsTakesUnconcatenatedInputs() throws {
        let arch = Architecture.vgg19(width: 1, skip: .add, upsample: .bilinear,
                                      output: .addInput)
        try arch.validate()
        let merges = summary(arch.decoder).enumerated().filter { $0.element == "cat" }
        #expect(merges.count == 2)
        let afterMerges = merges.map { summary(arch.decoder)[$0.offset + 1] }
        #expect(afterMerges == ["512>512", "256>256"])
        #expect(arch.decoder.contains(.upsample(mode: .bilinear)))
    }

    @Test func expectedTensorsListsWeightsBiasesAndBatchNorm() {
        var arch = Architecture.vgg19(width: 1.0 / 64)
        var tensors = arch.expectedTensors()
        #expect(tensors.count == 2 * 28)
        #expect(tensors["encoder.conv1_1.weight"] == [1, 3, 3, 3])
        #expect(tensors["decoder.conv4_1.weight"] == [8, 16, 3, 3])
        #expect(tensors["decoder.out.bias"] == [3])
        guard case .conv(var spec) = arch.encoder[0] else { return }
        spec.batchnorm = .running
        arch.encoder[0] = .conv(spec)
        tensors = arch.expectedTensors()
        #expect(tensors.count == 2 * 28 + 4)
        for part in ["weight", "bias", "running_mean", "running_var"] {
            #expect(tensors["encoder.conv1_1.bn.\(part)"] == [1])
        }
    }

    @Test func codesOpsAsTheDocumentedObjects() throws {
        let json = """
            [{"op": "conv", "name": "encoder.conv1_1", "in": 3, "out": 16, "kernel": 3,
              "padding": "zero", "activation": "relu"},
             {"op": "conv", "name": "x", "in": 16, "out": 16, "kernel": 1, "padding": "reflect",
              "activation": "none", "batchnorm": "instance"},
             {"op": "maxpool"}, {"op": "tap", "level": "relu3_1"},
             {"op": "input", "level": "relu5_1"}, {"op": "upsample", "mode": "nearest"},
             {"op": "merge", "level": "relu4_1", "mode": "concat"}]
            """
        let ops = try JSONDecoder().decode([LayerOp].self, from: Data(json.utf8))
        #expect(ops == [
            .conv(ConvSpec(name: "encoder.conv1_1", in: 3, out: 16)),
            .conv(ConvSpec(name: "x", in: 16, out: 16, kernel: 1, padding: .reflect,
                           activation: .none, batchnorm: .instance)),
            .maxpool, .tap(level: "relu3_1"), .input(level: "relu5_1"),
            .upsample(mode: .nearest), .merge(level: "relu4_1", mode: .concat),
        ])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(Array(ops[2...])), as: UTF8.self)
        #expect(text == #"[{"op":"maxpool"},{"level":"relu3_1","op":"tap"},"#
                + #"{"level":"relu5_1","op":"input"},{"mode":"nearest","op":"upsample"},"#
                + #"{"level":"relu4_1","mode":"concat","op":"merge"}]"#)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([LayerOp].self, from: Data(#"[{"op":"dropout"}]"#.utf8))
        }
    }

    @Test func architectureRoundTripsThroughJSONWithDocumentedKeys() throws {
        let arch = Architecture.vgg19(width: 0.25, output: .addInput)
        let data = try JSONEncoder().encode(arch)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let input = try #require(object["input"] as? [String: Any])
        #expect(input["pad_multiple"] as? Int == 16)
        #expect(input["pad_mode"] as? String == "reflect")
        #expect(object["output"] as? String == "add-input")
        #expect(try JSONDecoder().decode(Architecture.self, from: data) == arch)
    }

    /// Each mutation of a valid architecture must be refused with `.badArchitecture`.
    static let breakages: [(String, @Sendable (inout Architecture) -> Void)] = [
        ("channels do not chain", { a in
            guard case .conv(var s) = a.encoder[1] else { return }
            s.in += 1
            a.encoder[1] = .conv(s)
        }),
        ("level declared with wrong channels", { $0.levels[0].channels += 1 }),
        ("level declared with wrong stride", { $0.levels[1].stride = 4 }),
        ("level never tapped", { a in a.encoder.removeAll { $0 == .tap(level: "relu4_1") } }),
        ("level tapped twice", { $0.encoder.append(.tap(level: "relu5_1")) }),
        ("undeclared level tapped", { $0.encoder.append(.tap(level: "relu9_9")) }),
        ("level declared twice", { $0.levels.append($0.levels[0]) }),
        ("merge at the wrong resolution", { a in
            let i = a.decoder.firstIndex(of: .merge(level: "relu4_1", mode: .concat))!
            a.decoder[i] = .merge(level: "relu3_1", mode: .concat)
        }),
        ("add with mismatched channels", { a in
            let i = a.decoder.firstIndex(of: .merge(level: "relu4_1", mode: .concat))!
            a.decoder[i] = .merge(level: "relu4_1", mode: .add)
        }),
        ("decoder does not start with input", { $0.decoder.removeFirst() }),
        ("input twice", { $0.decoder.insert(.input(level: "relu5_1"), at: 1) }),
        ("tap in the decoder", { $0.decoder.insert(.tap(level: "relu5_1"), at: 1) }),
        ("merge in the encoder", { $0.encoder.insert(.merge(level: "relu3_1", mode: .add),
                                                     at: 0) }),
        ("decoder ends at stride 2", { a in
            a.decoder.remove(at: a.decoder.lastIndex(of: .upsample(mode: .nearest))!)
        }),
        ("decoder ends with 4 channels", { a in
            guard case .conv(var s) = a.decoder.last! else { return }
            s.out = 4
            a.decoder[a.decoder.count - 1] = .conv(s)
        }),
        ("even kernel", { a in
            guard case .conv(var s) = a.encoder[0] else { return }
            s.kernel = 2
            a.encoder[0] = .conv(s)
        }),
        ("replicate conv padding", { a in
            guard case .conv(var s) = a.encoder[0] else { return }
            s.padding = .replicate
            a.encoder[0] = .conv(s)
        }),
        ("conv name used twice", { a in
            guard case .conv(var s) = a.decoder[1] else { return }
            s.name = "encoder.conv1_1"
            a.decoder[1] = .conv(s)
        }),
        ("upsample above input resolution", { $0.encoder.insert(.upsample(mode: .nearest),
                                                                at: 0) }),
        ("pad multiple not a multiple of the deepest stride", { $0.input.padMultiple = 8 }),
        ("two std values", { $0.input.std = [0.2, 0.2] }),
        ("zero std", { $0.input.std = [0.2, 0, 0.2] }),
        ("zero width", { $0.width = 0 }),
        ("no levels", { $0.levels = [] }),
    ]

    @Test(arguments: 0..<breakages.count)
    func validateRefusesBrokenDescriptions(_ index: Int) {
        let (label, mutate) = Self.breakages[index]
        var arch = Architecture.vgg19(width: 1.0 / 16)
        mutate(&arch)
        #expect(code { try arch.validate() } == .badArchitecture, "\(label)")
    }

    @Test func originalReleasePadMultipleIsAccepted() throws {
        var arch = Architecture.vgg19(width: 0.25, skip: .add, upsample: .bilinear,
                                      output: .addInput)
        arch.input.padMultiple = 112
        try arch.validate()
    }
}
