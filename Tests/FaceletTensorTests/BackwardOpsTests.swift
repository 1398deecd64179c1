import Testing
import FaceletTensor

@Suite("Backward operators against the reference and finite differences")
struct BackwardOpsTests {
    @Test("relu backward passes gradients where the output is positive")
    func reluBackward() {
        var random = SeededRandom(state: 11)
        let x = random.tensor([2, 3, 5, 7])
        let g = random.tensor([2, 3, 5, 7])
        let y = Ops.relu(x)
        let ours = Gradients.relu(y, gradOutput: g)
        #expect(ours.data == zip(x.data, g.data).map { $0 > 0 ? $1 : 0 })
        // Finite differences of sum(g * relu(x)), away from the kink at 0.
        let rg = RefArray(g)
        let numeric = numericalGradient(RefArray(x), step: 1e-4) { probe in
            dot(rg, RefArray(shape: probe.shape, values: probe.values.map { max($0, 0) }))
        }
        for i in 0..<x.count where abs(x.data[i]) > 1e-3 {
            #expect(abs(Double(ours.data[i]) - numeric.values[i]) < 1e-6)
        }
    }

    @Test("maxPool2x2 backward routes gradients to the window maxima", arguments: [1, 2])
    func maxPoolBackward(batch: Int) {
        var random = SeededRandom(state: 12 + UInt64(batch))
        for (h, w) in spatialSizes {
            let x = random.tensor([batch, 3, h, w])
            let g = random.tensor([batch, 3, h / 2, w / 2])
            let ours = Gradients.maxPool2x2(x, gradOutput: g)
            #expect(relativeError(ours, Naive.maxPoolBackward(RefArray(x), RefArray(g))) == 0)
            guard h * w <= 35 else { continue }  // finite differences on the small sizes only
            let rg = RefArray(g)
            let numeric = numericalGradient(RefArray(x), step: 1e-5) { dot(rg, Naive.maxPool($0)) }
            #expect(relativeError(ours, numeric) < 1e-6)
        }
    }

    @Test("upsample2x backward matches the reference and finite differences",
          arguments: [UpsampleMode.nearest, .bilinear], [1, 2])
    func upsampleBackward(mode: UpsampleMode, batch: Int) {
        var random = SeededRandom(state: 14 + UInt64(batch))
        for (h, w) in spatialSizes {
            let shape = [batch, 2, h, w]
            let x = random.tensor(shape)
            let g = random.tensor([batch, 2, 2 * h, 2 * w])
            let ours = Gradients.upsample2x(g, inputShape: shape, mode: mode)
            let reference = Naive.upsampleBackward(RefArray(g), inputShape: shape, mode)
            #expect(relativeError(ours, reference) < 1e-6)
            guard h * w <= 35 else { continue }  // finite differences on the small sizes only
            let rg = RefArray(g)
            let numeric = numericalGradient(RefArray(x)) { dot(rg, Naive.upsample($0, mode)) }
            #expect(relativeError(ours, numeric) < 1e-6)
        }
    }

    @Test("meanSquaredError gives the mean loss and its gradient")
    func meanSquaredError() {
        var random = SeededRandom(state: 16)
        let p = random.tensor([2, 3, 5, 7])
        let t = random.tensor([2, 3, 5, 7])
        let (loss, gradient) = Gradients.meanSquaredError(p, t)
        let rt = RefArray(t)
        func referenceLoss(_ probe: RefArray) -> Double {
            zip(probe.values, rt.values).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)
                / Double(probe.values.count)
        }
        let rp = RefArray(p)
        #expect(abs(Double(loss) - referenceLoss(rp)) < 1e-6)
        let numeric = numericalGradient(rp, referenceLoss)
        #expect(relativeError(gradient, numeric) < 1e-6)
    }

    @Test("a conv-relu-pool chain trains its gradient consistently end to end")
    func chainedGradientMatchesFiniteDifferences() throws {
        var random = SeededRandom(state: 17)
        let x = random.tensor([2, 2, 5, 7])
        let w = random.tensor([3, 2, 3, 3])
        let b = random.tensor([3], scale: 0.1)
        let target = random.tensor([2, 3, 2, 3])
        let y = Ops.conv2d(x, weight: w, bias: b, padding: .reflect, relu: true)
        let pooled = Ops.maxPool2x2(y)
        let (_, gPool) = Gradients.meanSquaredError(pooled, target)
        let gY = Gradients.relu(y, gradOutput: Gradients.maxPool2x2(y, gradOutput: gPool))
        let ours = Gradients.conv2d(x, weight: w, padding: .reflect, gradOutput: gY,
                                    needInputGradient: true)
        let (rx, rb, rt) = (RefArray(x), RefArray(b), RefArray(target))
        func loss(_ weight: RefArray) -> Double {
            let pooled = Naive.maxPool(Naive.conv2d(rx, weight, rb, .reflect, relu: true))
            return zip(pooled.values, rt.values).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)
                / Double(rt.values.count)
        }
        let numeric = numericalGradient(RefArray(w), step: 1e-5, loss)
        #expect(relativeError(ours.weight, numeric) < 1e-4)
    }
}
