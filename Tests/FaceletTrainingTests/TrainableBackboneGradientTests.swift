import FaceletPackage
import FaceletTensor
import Testing

@testable import FaceletTraining

/// The backward passes of `TrainableBackbone` against central finite differences of the
/// forward pass, on a 1/32-width VGG-19 (channels 2/4/8/16) at 32x32, batch 2.
///
/// Central differences of a double-precision loss over float32 forward passes, with steps 1e-3,
/// 3e-4, 1e-4 and 3e-5. Tolerance: |analytic − numeric| ≤ 0.03 · max(|analytic|, |numeric|)
/// + 2e-3 · scale, `scale` the largest analytic gradient magnitude of the checked tensor, for at
/// least one of the steps: a bias moves a whole channel plane, and in a 2-channel network ReLU
/// and max-pool switches inside the step shift a difference by up to 20 % (seen at 1e-3 with the
/// feature loss; the differences converge to the analytic value as the step shrinks).
@Suite struct TrainableBackboneGradientTests {
    static func network(output: OutputMode = .image, padding: FaceletPackage.Padding = .zero,
                        skip: MergeMode = .concat) throws -> TrainableBackbone {
        var architecture = Architecture.vgg19(width: 1 / 32.0, skip: skip, output: output)
        if padding != .zero {
            architecture.encoder = architecture.encoder.map { withPadding($0, padding) }
            architecture.decoder = architecture.decoder.map { withPadding($0, padding) }
        }
        var backbone = try TrainableBackbone.seeded(architecture, seed: 7)
        var random = TrainingRandom(seed: 99)
        for index in backbone.decoderParameters.indices
        where backbone.decoderParameterNames[index].hasSuffix(".bias") {
            for i in backbone.decoderParameters[index].data.indices {
                backbone.decoderParameters[index].data[i] = 0.1 * random.nextGaussian()
            }
        }
        return backbone
    }

    static func withPadding(_ op: LayerOp, _ padding: FaceletPackage.Padding) -> LayerOp {
        guard case .conv(var spec) = op else { return op }
        spec.padding = padding
        return .conv(spec)
    }

    static func images(seed: UInt64, shape: [Int] = [2, 3, 32, 32]) -> Tensor {
        var random = TrainingRandom(seed: seed)
        var x = Tensor(zeros: shape)
        for i in x.data.indices { x.data[i] = 2 * random.nextUnitFloat() - 1 }
        return x
    }

    /// Central differences of `loss` at steps 1e-3, 3e-4, 1e-4 and 3e-5.
    static func finiteDifferences(_ loss: (Float) -> Double) -> [Float] {
        [1e-3, 3e-4, 1e-4, 3e-5].map { (step: Float) in
            Float((loss(step) - loss(-step)) / Double(2 * step))
        }
    }

    static func agrees(_ analytic: Float, _ numeric: [Float], scale: Float) -> Bool {
        numeric.contains { value in
            abs(analytic - value) <= 0.03 * max(abs(analytic), abs(value)) + 2e-3 * scale
        }
    }

    /// Eq. 4 recomputed from the forward passes with double-precision sums.
    static func referenceLoss(_ backbone: TrainableBackbone, _ x: Tensor,
                              featureWeight: Float) -> Double {
        let psi = backbone.encode(x)
        let r = backbone.reconstruction(decoded: backbone.decode(psi), images: x)
        var total = meanSquare(r, x)
        if featureWeight != 0 {
            for (level, feature) in backbone.encode(r).enumerated() {
                total += Double(featureWeight) * meanSquare(feature, psi[level])
            }
        }
        return total
    }

    static func meanSquare(_ a: Tensor, _ b: Tensor) -> Double {
        var sum = 0.0
        for i in a.data.indices {
            let d = Double(a.data[i]) - Double(b.data[i])
            sum += d * d
        }
        return sum / Double(a.count)
    }

    /// Checks two random entries of every decoder parameter tensor, and the derivative along
    /// one random ±1 direction through the whole tensor.
    ///
    /// Single entries get an absolute allowance of 1 % of the tensor's largest gradient: on
    /// some CPUs (OpenBLAS picks its kernels per processor) the float32 rounding of the forward
    /// pass moves a central difference by that much (seen: conv4_2.weight[1131], analytic
    /// 0.00272, differences 0.00318 / 0.00306 / 0.00252 / 0.00400 at the four steps). The
    /// directional derivative sums thousands of entries' contributions, stands far above that
    /// noise, and is held to the tight allowance.
    static func checkDecoderGradients(_ backbone: TrainableBackbone, featureWeight: Float,
                                      seed: UInt64) {
        let x = images(seed: seed)
        let gradients = backbone.reconstructionLoss(x, featureWeight: featureWeight).gradients
        var random = TrainingRandom(seed: seed + 1)
        var checked = 0
        for index in backbone.decoderParameters.indices {
            let name = backbone.decoderParameterNames[index]
            let scale = gradients[index].data.map(abs).max() ?? 0
            for _ in 0..<2 {
                let i = random.nextInt(below: backbone.decoderParameters[index].count)
                let numeric = finiteDifferences { value in
                    var moved = backbone
                    moved.decoderParameters[index].data[i] += value
                    return referenceLoss(moved, x, featureWeight: featureWeight)
                }
                let analytic = gradients[index].data[i]
                #expect(agrees(analytic, numeric, scale: 5 * scale),
                        "\(name)[\(i)]: analytic \(analytic), numeric \(numeric)")
                checked += 1
            }

            let direction = (0..<gradients[index].count).map { _ in
                random.nextUnitFloat() < 0.5 ? Float(-1) : Float(1)
            }
            var along = 0.0
            var magnitude = 0.0
            for (g, d) in zip(gradients[index].data, direction) {
                along += Double(g * d)
                magnitude += Double(abs(g))
            }
            let numeric = finiteDifferences { value in
                var moved = backbone
                for i in direction.indices {
                    moved.decoderParameters[index].data[i] += value * direction[i]
                }
                return referenceLoss(moved, x, featureWeight: featureWeight)
            }
            #expect(agrees(Float(along), numeric, scale: Float(magnitude)),
                    "\(name) along a ±1 direction: analytic \(along), numeric \(numeric)")
        }
        #expect(checked == 2 * backbone.decoderParameters.count)
    }

    @Test func decoderGradientsMatchFiniteDifferencesForPixelLoss() throws {
        Self.checkDecoderGradients(try Self.network(), featureWeight: 0, seed: 1)
    }

    @Test func decoderGradientsMatchFiniteDifferencesForEquation4() throws {
        Self.checkDecoderGradients(try Self.network(), featureWeight: 0.5, seed: 2)
    }

    @Test func decoderGradientsMatchWithReflectPaddingAddSkipsAndAddInput() throws {
        let backbone = try Self.network(output: .addInput, padding: .reflect, skip: .add)
        Self.checkDecoderGradients(backbone, featureWeight: 0.5, seed: 3)
    }

    @Test func decoderGradientsMatchForTheAffineDifferenceOutput() throws {
        // Eq. 4's pixel term in this mode compares x + A·x + b with x: the gradient goes
        // through the colour transform to the 12 coefficient channels. (The feature term adds
        // nothing mode-specific, and a second float32 encoder pass makes single entries'
        // central differences too noisy here.)
        Self.checkDecoderGradients(try Self.network(output: .affineDifference),
                                   featureWeight: 0, seed: 4)
    }

    @Test func shiftedFeatureConsistencyGradientsMatchFiniteDifferences() throws {
        let backbone = try Self.network(output: .difference)
        let x = Self.images(seed: 21)
        let psi = backbone.encode(x)
        let shifted = psi.map { level in
            Ops.addScaled(level, Ops.addScaled(DecoderTrainer.rotatedBatch(level), level,
                                               scale: -1), scale: 0.7)
        }
        let gradients = backbone.objective(images: x, decodeFrom: shifted,
                                           featureTargets: shifted, pixelWeight: 0,
                                           featureWeight: 1).gradients
        func loss(_ network: TrainableBackbone) -> Double {
            let r = network.decode(shifted)
            var total = 0.0
            for (level, feature) in network.encode(r).enumerated() {
                total += Self.meanSquare(feature, shifted[level])
            }
            return total
        }
        var random = TrainingRandom(seed: 22)
        for index in backbone.decoderParameters.indices {
            let scale = gradients[index].data.map(abs).max() ?? 0
            let i = random.nextInt(below: backbone.decoderParameters[index].count)
            let numeric = Self.finiteDifferences { value in
                var moved = backbone
                moved.decoderParameters[index].data[i] += value
                return loss(moved)
            }
            let analytic = gradients[index].data[i]
            let name = backbone.decoderParameterNames[index]
            #expect(Self.agrees(analytic, numeric, scale: scale),
                    "\(name)[\(i)]: analytic \(analytic), numeric \(numeric)")
        }
    }

    /// The change of an `affine-difference` edit, `(A' − A)·x + (b' − b)`, entry by entry.
    static func affineChange(after: Tensor, before: Tensor, images x: Tensor) -> Tensor {
        var out = Tensor(zeros: x.shape)
        let plane = x.h * x.w
        for n in 0..<x.n {
            for row in 0..<3 {
                for p in 0..<plane {
                    func k(_ c: Int) -> Float {
                        let i = (n * 12 + c) * plane + p
                        return after.data[i] - before.data[i]
                    }
                    var value = k(9 + row)
                    for column in 0..<3 {
                        value += k(3 * row + column) * x.data[(n * 3 + column) * plane + p]
                    }
                    out.data[(n * 3 + row) * plane + p] = value
                }
            }
        }
        return out
    }

    @Test(arguments: [OutputMode.difference, OutputMode.affineDifference])
    func pairedEditGradientsMatchFiniteDifferences(output: OutputMode) throws {
        let backbone = try Self.network(output: output)
        let x = Self.images(seed: 31)
        let psi = backbone.encode(x)
        var options = DecoderTrainingOptions(crop: CropOptions(size: 32), editPairWeight: 0.8)
        options.seed = 5
        let trainer = try DecoderTrainer(backbone: backbone,
                                         photos: TestImages.photoSet(count: 1),
                                         options: options)
        let term = trainer.editPairTerm(backbone, images: x, features: psi, step: 3)
        let edited = trainer.editedBatch(backbone, images: x, step: 3)
        #expect(Self.meanSquare(edited, x) > 1e-4, "the random edits change the photos")
        let editedFeatures = backbone.encode(edited)
        // μ ‖(D(ψ(e(x))) − D(ψ(x))) − (e(x) − x)‖², recomputed with double-precision sums.
        func loss(_ network: TrainableBackbone) -> Double {
            let after = network.decode(editedFeatures)
            let before = network.decode(psi)
            let change = output == .affineDifference
                ? Self.affineChange(after: after, before: before, images: x)
                : Ops.addScaled(after, before, scale: -1)
            return 0.8 * Self.meanSquare(change, Ops.addScaled(edited, x, scale: -1))
        }
        #expect(abs(Double(term.loss) - loss(backbone)) <= 1e-4 * loss(backbone))
        var random = TrainingRandom(seed: 32)
        for index in backbone.decoderParameters.indices {
            let scale = term.gradients[index].data.map(abs).max() ?? 0
            let i = random.nextInt(below: backbone.decoderParameters[index].count)
            let numeric = Self.finiteDifferences { value in
                var moved = backbone
                moved.decoderParameters[index].data[i] += value
                return loss(moved)
            }
            let analytic = term.gradients[index].data[i]
            let name = backbone.decoderParameterNames[index]
            // The output layer's bias cancels in a difference of two decodes: its gradient is
            // exactly 0 and the numeric one is rounding noise.
            #expect(Self.agrees(analytic, numeric, scale: scale)
                        || (analytic == 0 && numeric.allSatisfy { abs($0) < 1e-6 }),
                    "\(name)[\(i)]: analytic \(analytic), numeric \(numeric)")
        }
    }

    @Test(arguments: [FaceletPackage.Padding.zero, .reflect])
    func encoderInputGradientMatchesFiniteDifferences(padding: FaceletPackage.Padding) throws {
        let backbone = try Self.network(padding: padding)
        let targets = backbone.encode(Self.images(seed: 11))
        let r = Self.images(seed: 12)
        let weights: [Float] = [1, 0.5, 2]
        func loss(_ input: Tensor) -> Double {
            var total = 0.0
            for (level, feature) in backbone.encode(input).enumerated() {
                total += Double(weights[level]) * Self.meanSquare(feature, targets[level])
            }
            return total
        }
        let trace = backbone.encodeForBackward(r)
        let levelGradients: [Tensor?] = trace.levels.enumerated().map { level, feature in
            TrainableBackbone.scaled(Gradients.meanSquaredError(feature, targets[level]).gradient,
                                     by: weights[level])
        }
        let gradient = backbone.encoderInputGradient(trace, levelGradients: levelGradients)
        #expect(gradient.shape == r.shape)
        let scale = gradient.data.map(abs).max() ?? 0
        var random = TrainingRandom(seed: 13)
        for _ in 0..<12 {
            let i = random.nextInt(below: r.count)
            let numeric = Self.finiteDifferences { value in
                var moved = r
                moved.data[i] += value
                return loss(moved)
            }
            let analytic = gradient.data[i]
            #expect(Self.agrees(analytic, numeric, scale: scale),
                    "input[\(i)]: analytic \(analytic), numeric \(numeric)")
        }
    }
}
