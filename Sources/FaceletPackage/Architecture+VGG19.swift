extension Architecture {
    /// The ImageNet per-channel mean (RGB in [0, 1]).
    public static let imageNetMean: [Double] = [0.485, 0.456, 0.406]
    /// The ImageNet per-channel standard deviation.
    public static let imageNetStd: [Double] = [0.229, 0.224, 0.225]

    /// The paper's network at a channel multiplier: VGG-19 through relu5_1 (`encoder.conv1_1` …
    /// `encoder.conv5_1`), levels relu3_1/relu4_1/relu5_1 at strides 4/8/16, and a decoder that
    /// mirrors it, merging relu4_1 and relu3_1.
    ///
    /// Channel counts 64/128/256/512 are multiplied by `width` and rounded (at least 1). The
    /// decoder is `decoder.conv5_1`, up, merge relu4_1, `decoder.conv4_1` … `conv4_5`, up, merge
    /// relu3_1, `decoder.conv3_1` … `conv3_5`, up, `decoder.conv2_1`, `conv2_2`, up,
    /// `decoder.conv1_1`, `decoder.out` (3 channels, 12 for `affine-difference`; no
    /// activation). All convolutions are 3×3 with zero padding; the input is padded to a
    /// multiple of 16 by reflection.
    public static func vgg19(width: Double, skip: MergeMode = .concat,
                             upsample: UpsampleSpec = .nearest, output: OutputMode = .image,
                             mean: [Double] = imageNetMean,
                             std: [Double] = imageNetStd) -> Architecture {
        precondition(width.isFinite && width > 0 && width <= 64, "width must be in (0, 64]")
        func ch(_ base: Int) -> Int { Swift.max(1, Int((Double(base) * width).rounded())) }
        let (c64, c128, c256, c512) = (ch(64), ch(128), ch(256), ch(512))

        func conv(_ name: String, _ cin: Int, _ cout: Int,
                  _ activation: Activation = .relu) -> LayerOp {
            .conv(ConvSpec(name: name, in: cin, out: cout, activation: activation))
        }
        let encoder: [LayerOp] = [
            conv("encoder.conv1_1", 3, c64), conv("encoder.conv1_2", c64, c64), .maxpool,
            conv("encoder.conv2_1", c64, c128), conv("encoder.conv2_2", c128, c128), .maxpool,
            conv("encoder.conv3_1", c128, c256), .tap(level: "relu3_1"),
            conv("encoder.conv3_2", c256, c256), conv("encoder.conv3_3", c256, c256),
            conv("encoder.conv3_4", c256, c256), .maxpool,
            conv("encoder.conv4_1", c256, c512), .tap(level: "relu4_1"),
            conv("encoder.conv4_2", c512, c512), conv("encoder.conv4_3", c512, c512),
            conv("encoder.conv4_4", c512, c512), .maxpool,
            conv("encoder.conv5_1", c512, c512), .tap(level: "relu5_1"),
        ]
        let merged4 = skip == .concat ? c512 + c512 : c512
        let merged3 = skip == .concat ? c256 + c256 : c256
        let decoder: [LayerOp] = [
            .input(level: "relu5_1"),
            conv("decoder.conv5_1", c512, c512), .upsample(mode: upsample),
            .merge(level: "relu4_1", mode: skip),
            conv("decoder.conv4_1", merged4, c512), conv("decoder.conv4_2", c512, c512),
            conv("decoder.conv4_3", c512, c512), conv("decoder.conv4_4", c512, c512),
            conv("decoder.conv4_5", c512, c256), .upsample(mode: upsample),
            .merge(level: "relu3_1", mode: skip),
            conv("decoder.conv3_1", merged3, c256), conv("decoder.conv3_2", c256, c256),
            conv("decoder.conv3_3", c256, c256), conv("decoder.conv3_4", c256, c256),
            conv("decoder.conv3_5", c256, c128), .upsample(mode: upsample),
            conv("decoder.conv2_1", c128, c128), conv("decoder.conv2_2", c128, c64),
            .upsample(mode: upsample),
            conv("decoder.conv1_1", c64, c64),
            conv("decoder.out", c64, output.decoderChannels, .none),
        ]
        return Architecture(
            family: "vgg19", width: width,
            input: InputSpec(mean: mean, std: std, padMultiple: 16, padMode: .reflect),
            levels: [LevelSpec(name: "relu3_1", channels: c256, stride: 4),
                     LevelSpec(name: "relu4_1", channels: c512, stride: 8),
                     LevelSpec(name: "relu5_1", channels: c512, stride: 16)],
            encoder: encoder, decoder: decoder, output: output)
    }
}
