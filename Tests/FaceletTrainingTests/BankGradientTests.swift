import FaceletTensor
import Testing
@testable import FaceletTraining

/// The bank's backward pass against central finite differences of an independent, plain
/// double-precision forward pass (so float rounding and ReLU kinks do not blur the check:
/// with h = 1e-6 no pre-activation crosses zero).
@Suite struct BankGradientTests {
    private struct Shape { let n: Int, c: Int, h: Int, w: Int }

    /// A plain 3×3 "same" convolution in Double, zero or reflect padding.
    private func conv(_ x: [Double], _ s: Shape, weight: [Double], bias: [Double],
                      padding: Padding, relu: Bool) -> [Double] {
        func index(_ i: Int, _ size: Int) -> Int? {
            if i >= 0 && i < size { return i }
            if padding == .zero { return nil }
            return i < 0 ? -i : 2 * size - 2 - i
        }
        var out = [Double](repeating: 0, count: x.count)
        for b in 0 ..< s.n { for o in 0 ..< s.c { for y in 0 ..< s.h { for q in 0 ..< s.w {
            var sum = bias[o]
            for i in 0 ..< s.c { for ky in 0 ..< 3 { for kx in 0 ..< 3 {
                guard let yy = index(y + ky - 1, s.h), let xx = index(q + kx - 1, s.w) else {
                    continue
                }
                sum += weight[((o * s.c + i) * 3 + ky) * 3 + kx]
                    * x[((b * s.c + i) * s.h + yy) * s.w + xx]
            } } }
            out[((b * s.c + o) * s.h + y) * s.w + q] = relu ? max(0, sum) : sum
        } } } }
        return out
    }

    /// L = Σ V(x) · R with the plain forward pass.
    private func plainLoss(_ p: [[Double]], x: [Double], r: [Double], shape: Shape,
                           padding: [Padding]) -> Double {
        let h1 = conv(x, shape, weight: p[0], bias: p[1], padding: padding[0], relu: true)
        let h2 = conv(h1, shape, weight: p[2], bias: p[3], padding: padding[1], relu: true)
        let out = conv(h2, shape, weight: p[4], bias: p[5], padding: padding[2], relu: false)
        return zip(out, r).reduce(0) { $0 + $1.0 * $1.1 }
    }

    @Test(arguments: [[Padding.zero, .zero, .zero], [.reflect, .zero, .reflect],
                      [.reflect, .reflect, .reflect]])
    func backwardMatchesFiniteDifferences(padding: [Padding]) {
        let shape = Shape(n: 2, c: 3, h: 5, w: 4)
        var network = BankNetwork(levels: ["l"], channels: [shape.c], padding: padding,
                                  seed: 5)
        network.parameters[4] = network.parameters[4].map { $0 * 10 }
        network.parameters[1] = [0.1, 0.2, -0.05]
        network.parameters[3] = [0.05, 0.1, 0.15]
        var rng = TrainingRandom(seed: 9)
        let count = shape.n * shape.c * shape.h * shape.w
        let input = Tensor(shape: [shape.n, shape.c, shape.h, shape.w],
                           data: (0 ..< count).map { _ in rng.nextGaussian() })
        let r = (0 ..< count).map { _ in rng.nextGaussian() }
        let activations = network.forward(level: 0, input)
        let analytic = network.backward(level: 0, activations,
                                        gradOutput: Tensor(shape: input.shape, data: r))

        let base = network.parameters.map { $0.map(Double.init) }
        let x = input.data.map(Double.init)
        let rr = r.map(Double.init)
        let h = 1e-6
        var checked = 0
        for buffer in 0 ..< 6 {
            #expect(analytic[buffer].count == base[buffer].count)
            for index in base[buffer].indices {
                var plus = base, minus = base
                plus[buffer][index] += h
                minus[buffer][index] -= h
                let numeric = (plainLoss(plus, x: x, r: rr, shape: shape, padding: padding)
                                - plainLoss(minus, x: x, r: rr, shape: shape,
                                            padding: padding)) / (2 * h)
                let value = Double(analytic[buffer][index])
                // Float32 backward against a double reference: 1e-3 absolute + 1e-3 relative.
                #expect(abs(numeric - value) <= 1e-3 + 1e-3 * abs(numeric),
                        "buffer \(buffer) index \(index): \(value) vs \(numeric)")
                checked += 1
            }
        }
        #expect(checked == 3 * (81 + 3))
    }

    @Test func forwardMatchesPlainReference() {
        let shape = Shape(n: 1, c: 2, h: 4, w: 6)
        let padding: [Padding] = [.reflect, .zero, .reflect]
        let network = BankNetwork(levels: ["l"], channels: [2], padding: padding, seed: 3,
                                  outputBias: [[0.2, -0.1]])
        var rng = TrainingRandom(seed: 4)
        let input = Tensor(shape: [1, 2, 4, 6], data: (0 ..< 48).map { _ in rng.nextGaussian() })
        let p = network.parameters.map { $0.map(Double.init) }
        let h1 = conv(input.data.map(Double.init), shape, weight: p[0], bias: p[1],
                      padding: padding[0], relu: true)
        let h2 = conv(h1, shape, weight: p[2], bias: p[3], padding: padding[1], relu: true)
        let expected = conv(h2, shape, weight: p[4], bias: p[5], padding: padding[2],
                            relu: false)
        let out = network.forward(level: 0, input).output.data
        for i in out.indices { #expect(abs(Double(out[i]) - expected[i]) < 1e-5) }
    }

    @Test func rescaledBankMapsScaledInputsToScaledOutputs() {
        let network = BankNetwork(levels: ["l"], channels: [2], seed: 1,
                                  outputBias: [[0.3, -0.2]])
        var rng = TrainingRandom(seed: 2)
        let x = Tensor(shape: [1, 2, 4, 4], data: (0 ..< 32).map { _ in rng.nextGaussian() })
        let s: Float = 4
        let scaled = network.rescaled([s])
        let big = Tensor(shape: x.shape, data: x.data.map { $0 * s })
        let a = network.forward(level: 0, x).output.data.map { $0 * s }
        let b = scaled.forward(level: 0, big).output.data
        for i in a.indices { #expect(abs(a[i] - b[i]) < 1e-4) }
    }
}
