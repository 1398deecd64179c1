// Plain nested-loop reference implementations in Double, written independently of the module:
// no code is shared with FaceletTensor, only the definitions of the operators.
import FaceletTensor

/// A Double NCHW array for the reference computations.
struct RefArray {
    var shape: [Int]
    var values: [Double]

    init(shape: [Int], values: [Double]) {
        precondition(values.count == shape.reduce(1, *))
        self.shape = shape
        self.values = values
    }

    init(zeros shape: [Int]) {
        self.init(shape: shape, values: [Double](repeating: 0, count: shape.reduce(1, *)))
    }

    init(_ tensor: Tensor) {
        self.init(shape: tensor.shape, values: tensor.data.map(Double.init))
    }

    var tensor: Tensor { Tensor(shape: shape, data: values.map { Float($0) }) }

    subscript(_ a: Int, _ b: Int, _ c: Int, _ d: Int) -> Double {
        get { values[((a * shape[1] + b) * shape[2] + c) * shape[3] + d] }
        set { values[((a * shape[1] + b) * shape[2] + c) * shape[3] + d] = newValue }
    }

    subscript(_ i: Int) -> Double {
        get { values[i] }
        set { values[i] = newValue }
    }
}

/// Deterministic SplitMix64 random numbers, so failures reproduce.
struct SeededRandom {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    mutating func uniform() -> Float {
        Float(Double(next() >> 11) / Double(1 << 53) * 2 - 1)
    }

    mutating func tensor(_ shape: [Int], scale: Float = 1) -> Tensor {
        let count = shape.reduce(1, *)
        return Tensor(shape: shape, data: (0..<count).map { _ in uniform() * scale })
    }
}

enum Naive {
    /// The source coordinate of padded coordinate `i` (may be outside 0..<size), or nil for 0.
    static func padSource(_ i: Int, _ size: Int, _ mode: Padding) -> Int? {
        if i >= 0 && i < size { return i }
        switch mode {
        case .zero: return nil
        case .replicate: return min(max(i, 0), size - 1)
        case .reflect:
            // ReflectionPad2d: mirror about the edge pixel without repeating it.
            var j = i
            while j < 0 || j >= size { j = j < 0 ? -j : 2 * (size - 1) - j }
            return j
        }
    }

    static func conv2d(_ x: RefArray, _ w: RefArray, _ b: RefArray?, _ mode: Padding,
                       relu: Bool = false) -> RefArray {
        let (n, cin, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cout, k) = (w.shape[0], w.shape[2])
        let p = k / 2
        var out = RefArray(zeros: [n, cout, h, wd])
        for b0 in 0..<n {
            for o in 0..<cout {
                for y in 0..<h {
                    for xx in 0..<wd {
                        var sum = b?[o] ?? 0
                        for c in 0..<cin {
                            for ky in 0..<k {
                                for kx in 0..<k {
                                    guard let iy = padSource(y + ky - p, h, mode),
                                          let ix = padSource(xx + kx - p, wd, mode)
                                    else { continue }
                                    sum += w[o, c, ky, kx] * x[b0, c, iy, ix]
                                }
                            }
                        }
                        out[b0, o, y, xx] = relu ? max(sum, 0) : sum
                    }
                }
            }
        }
        return out
    }

    /// Gradients of `sum(g * conv2d(x, w, b))` by scattering each output's gradient.
    static func conv2dBackward(_ x: RefArray, _ w: RefArray, _ mode: Padding, _ g: RefArray)
        -> (input: RefArray, weight: RefArray, bias: RefArray) {
        let (n, cin, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cout, k) = (w.shape[0], w.shape[2])
        let p = k / 2
        var gx = RefArray(zeros: x.shape)
        var gw = RefArray(zeros: w.shape)
        var gb = RefArray(zeros: [cout])
        for b0 in 0..<n {
            for o in 0..<cout {
                for y in 0..<h {
                    for xx in 0..<wd {
                        let grad = g[b0, o, y, xx]
                        gb[o] += grad
                        for c in 0..<cin {
                            for ky in 0..<k {
                                for kx in 0..<k {
                                    guard let iy = padSource(y + ky - p, h, mode),
                                          let ix = padSource(xx + kx - p, wd, mode)
                                    else { continue }
                                    gw[o, c, ky, kx] += grad * x[b0, c, iy, ix]
                                    gx[b0, c, iy, ix] += grad * w[o, c, ky, kx]
                                }
                            }
                        }
                    }
                }
            }
        }
        return (gx, gw, gb)
    }

    static func maxPool(_ x: RefArray) -> RefArray {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        var out = RefArray(zeros: [n, c, h / 2, w / 2])
        for a in 0..<n { for ch in 0..<c { for y in 0..<(h / 2) { for xx in 0..<(w / 2) {
            let top = max(x[a, ch, 2 * y, 2 * xx], x[a, ch, 2 * y, 2 * xx + 1])
            let bottom = max(x[a, ch, 2 * y + 1, 2 * xx], x[a, ch, 2 * y + 1, 2 * xx + 1])
            out[a, ch, y, xx] = max(top, bottom)
        } } } }
        return out
    }

    static func maxPoolBackward(_ x: RefArray, _ g: RefArray) -> RefArray {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        var gx = RefArray(zeros: x.shape)
        for a in 0..<n { for ch in 0..<c { for y in 0..<(h / 2) { for xx in 0..<(w / 2) {
            var best = (2 * y, 2 * xx)
            for (dy, dx) in [(0, 1), (1, 0), (1, 1)]
            where x[a, ch, 2 * y + dy, 2 * xx + dx] > x[a, ch, best.0, best.1] {
                best = (2 * y + dy, 2 * xx + dx)
            }
            gx[a, ch, best.0, best.1] += g[a, ch, y, xx]
        } } } }
        return gx
    }

    /// The 1-D interpolation weights of output `o` of an align_corners bilinear resize.
    static func bilinearWeights(_ o: Int, inSize: Int, outSize: Int) -> [(Int, Double)] {
        let position = outSize > 1 ? Double(o) * Double(inSize - 1) / Double(outSize - 1) : 0
        let lower = Int(position.rounded(.down))
        let fraction = position - Double(lower)
        if lower + 1 < inSize { return [(lower, 1 - fraction), (lower + 1, fraction)] }
        return [(lower, 1)]
    }

    /// `[(input y, input x, weight)]` contributing to output `(oy, ox)` of a 2x upsampling.
    static func upsampleTaps(_ oy: Int, _ ox: Int, h: Int, w: Int, mode: UpsampleMode)
        -> [(Int, Int, Double)] {
        switch mode {
        case .nearest:
            return [(oy / 2, ox / 2, 1)]
        case .bilinear:
            var taps: [(Int, Int, Double)] = []
            for (iy, wy) in bilinearWeights(oy, inSize: h, outSize: 2 * h) {
                for (ix, wx) in bilinearWeights(ox, inSize: w, outSize: 2 * w) {
                    taps.append((iy, ix, wy * wx))
                }
            }
            return taps
        }
    }

    static func upsample(_ x: RefArray, _ mode: UpsampleMode) -> RefArray {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        var out = RefArray(zeros: [n, c, 2 * h, 2 * w])
        for a in 0..<n { for ch in 0..<c { for oy in 0..<(2 * h) { for ox in 0..<(2 * w) {
            var sum = 0.0
            for (iy, ix, weight) in upsampleTaps(oy, ox, h: h, w: w, mode: mode) {
                sum += weight * x[a, ch, iy, ix]
            }
            out[a, ch, oy, ox] = sum
        } } } }
        return out
    }

    static func upsampleBackward(_ g: RefArray, inputShape: [Int], _ mode: UpsampleMode)
        -> RefArray {
        let (n, c, h, w) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
        var gx = RefArray(zeros: inputShape)
        for a in 0..<n { for ch in 0..<c { for oy in 0..<(2 * h) { for ox in 0..<(2 * w) {
            for (iy, ix, weight) in upsampleTaps(oy, ox, h: h, w: w, mode: mode) {
                gx[a, ch, iy, ix] += weight * g[a, ch, oy, ox]
            }
        } } } }
        return gx
    }

    static func batchNorm(_ x: RefArray, gamma: [Double], beta: [Double], mean: [Double],
                          variance: [Double], epsilon: Double) -> RefArray {
        var out = x
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        for a in 0..<n { for ch in 0..<c { for y in 0..<h { for xx in 0..<w {
            let normalised = (x[a, ch, y, xx] - mean[ch]) / (variance[ch] + epsilon).squareRoot()
            out[a, ch, y, xx] = normalised * gamma[ch] + beta[ch]
        } } } }
        return out
    }

    /// Per-channel mean and biased variance over N, H, W.
    static func channelStatistics(_ x: RefArray) -> (mean: [Double], variance: [Double]) {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        var mean = [Double](repeating: 0, count: c)
        var variance = [Double](repeating: 0, count: c)
        for ch in 0..<c {
            var values: [Double] = []
            for a in 0..<n { for y in 0..<h { for xx in 0..<w { values.append(x[a, ch, y, xx]) } } }
            let m = values.reduce(0, +) / Double(values.count)
            mean[ch] = m
            variance[ch] = values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count)
        }
        return (mean, variance)
    }

    static func pad(_ x: RefArray, top: Int, left: Int, bottom: Int, right: Int,
                    _ mode: Padding) -> RefArray {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        var out = RefArray(zeros: [n, c, h + top + bottom, w + left + right])
        for a in 0..<n { for ch in 0..<c {
            for y in 0..<(h + top + bottom) { for xx in 0..<(w + left + right) {
                if let iy = padSource(y - top, h, mode), let ix = padSource(xx - left, w, mode) {
                    out[a, ch, y, xx] = x[a, ch, iy, ix]
                }
            } }
        } }
        return out
    }
}

/// The largest absolute difference between `actual` and `expected`, relative to the largest
/// magnitude in `expected` (at least 1), so accumulated float32 rounding is judged against the
/// size of the numbers involved.
func relativeError(_ actual: Tensor, _ expected: RefArray) -> Double {
    precondition(actual.shape == expected.shape, "\(actual.shape) vs \(expected.shape)")
    let scale = max(1, expected.values.map(abs).max() ?? 0)
    var worst = 0.0
    for (a, e) in zip(actual.data, expected.values) { worst = max(worst, abs(Double(a) - e)) }
    return worst / scale
}

/// Central finite differences of `loss` at every element of `point`, in Double.
func numericalGradient(_ point: RefArray, step: Double = 1e-3,
                       _ loss: (RefArray) -> Double) -> RefArray {
    var gradient = RefArray(zeros: point.shape)
    var probe = point
    for i in 0..<point.values.count {
        let original = probe.values[i]
        probe.values[i] = original + step
        let up = loss(probe)
        probe.values[i] = original - step
        let down = loss(probe)
        probe.values[i] = original
        gradient.values[i] = (up - down) / (2 * step)
    }
    return gradient
}

/// `Σ weights * values`: the scalar loss whose gradient at `values` is `weights`.
func dot(_ a: RefArray, _ b: RefArray) -> Double {
    zip(a.values, b.values).reduce(0) { $0 + $1.0 * $1.1 }
}
