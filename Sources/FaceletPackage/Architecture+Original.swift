extension Architecture {
    /// The pad multiple of the original Facelet-Bank release (its `FitToQuantum(112)`).
    public static let originalPadMultiple = 112

    /// The variant of the original PyTorch release of Facelet-Bank, at a channel multiplier.
    ///
    /// Encoder: VGG-19 through relu5_1 with the names of `vgg19(width:)` (`encoder.conv1_1` …
    /// `encoder.conv5_1`), levels relu3_1/relu4_1/relu5_1 at strides 4/8/16. Decoder (the
    /// release's `Vgg_recon`): three conv-BN-ReLU `decoder.recon5_1…3`; bilinear 2× up;
    /// conv-BN `decoder.upsample4` (no activation); relu4_1 *added*; `decoder.recon4_1…3`; up;
    /// `decoder.upsample3` (512→256, BN, no activation); relu3_1 added; `decoder.recon3_1…3`;
    /// up; `decoder.upsample2` (256→128); `decoder.recon2_1…2`; up; `decoder.upsample1`
    /// (128→64); `decoder.recon1_1`; `decoder.out` (64→3, no BN, no activation). Every
    /// convolution is 3×3, zero-padded. The output is added to the normalised input
    /// (`add-input`); the input is normalised by the ImageNet mean/std and zero-padded to a
    /// multiple of 112.
    ///
    /// - Parameters:
    ///   - width: channel multiplier of 64/128/256/512 (rounded, at least 1).
    ///   - batchnorm: `instance` reproduces the release's test script, which never switched
    ///     the decoder to evaluation mode (per-image statistics); `running` uses the stored
    ///     running statistics (PyTorch's `eval()`).
    public static func faceletOriginal(width: Double = 1,
                                       batchnorm: BatchNormMode = .instance) -> Architecture {
        let base = vgg19(width: width)
        func ch(_ channels: Int) -> Int { Swift.max(1, Int((Double(channels) * width).rounded())) }
        let (c64, c128, c256, c512) = (ch(64), ch(128), ch(256), ch(512))

        func conv(_ name: String, _ cin: Int, _ cout: Int, relu: Bool = true) -> LayerOp {
            .conv(ConvSpec(name: "decoder." + name, in: cin, out: cout,
                           activation: relu ? .relu : .none, batchnorm: batchnorm))
        }
        let up = LayerOp.upsample(mode: .bilinear)
        let decoder: [LayerOp] = [
            .input(level: "relu5_1"),
            conv("recon5_1", c512, c512), conv("recon5_2", c512, c512),
            conv("recon5_3", c512, c512), up, conv("upsample4", c512, c512, relu: false),
            .merge(level: "relu4_1", mode: .add),
            conv("recon4_1", c512, c512), conv("recon4_2", c512, c512),
            conv("recon4_3", c512, c512), up, conv("upsample3", c512, c256, relu: false),
            .merge(level: "relu3_1", mode: .add),
            conv("recon3_1", c256, c256), conv("recon3_2", c256, c256),
            conv("recon3_3", c256, c256), up, conv("upsample2", c256, c128, relu: false),
            conv("recon2_1", c128, c128), conv("recon2_2", c128, c128),
            up, conv("upsample1", c128, c64, relu: false),
            conv("recon1_1", c64, c64),
            .conv(ConvSpec(name: "decoder.out", in: c64, out: 3, activation: .none)),
        ]
        return Architecture(
            family: "facelet-original", width: width,
            input: InputSpec(mean: imageNetMean, std: imageNetStd,
                             padMultiple: originalPadMultiple, padMode: .mean),
            levels: base.levels, encoder: base.encoder, decoder: decoder, output: .addInput)
    }

    /// The bank layer description of the original release: reflection, zero, reflection.
    public static let originalBankPadding: [Padding] = [.reflect, .zero, .reflect]
}
