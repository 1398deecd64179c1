import Testing
import FaceletTensor

/// Spatial sizes including the degenerate and odd ones.
let spatialSizes: [(Int, Int)] = [(1, 1), (2, 3), (5, 7), (17, 13), (4, 4)]

@Suite("Forward operators against the nested-loop reference")
struct ForwardOpsTests {
    static let tolerance = 1e-6

    @Test("tensor accessors follow NCHW row-major layout")
    func accessorsFollowNCHW() {
        let t = Tensor(shape: [2, 3, 4, 5], data: (0..<120).map(Float.init))
        #expect((t.n, t.c, t.h, t.w) == (2, 3, 4, 5))
        #expect(t.count == 120)
        #expect(t[1, 2, 3, 4] == 119)
        #expect(t[1, 0, 2, 1] == Float(60 + 10 + 1))
        #expect(Tensor(zeros: [1, 2, 2, 1]).data == [0, 0, 0, 0])
    }

    @Test("relu, add and addScaled act element-wise")
    func elementwise() {
        var random = SeededRandom(state: 1)
        let a = random.tensor([2, 3, 5, 7])
        let b = random.tensor([2, 3, 5, 7])
        #expect(Ops.relu(a).data == a.data.map { max($0, 0) })
        #expect(Ops.add(a, b).data == zip(a.data, b.data).map { $0 + $1 })
        let scaled = Ops.addScaled(a, b, scale: -0.75)
        for i in 0..<a.count {
            #expect(abs(Double(scaled.data[i]) - (Double(a.data[i]) - 0.75 * Double(b.data[i])))
                    < 1e-6)
        }
    }

    @Test("elementwise ops split large tensors over threads correctly")
    func elementwiseLarge() {
        var random = SeededRandom(state: 2)
        let a = random.tensor([1, 3, 200, 300])
        let b = random.tensor([1, 3, 200, 300])
        #expect(Ops.relu(a).data == a.data.map { max($0, 0) })
        #expect(Ops.addScaled(a, b, scale: 2).data == zip(a.data, b.data).map { $0 + 2 * $1 })
    }

    @Test("maxPool2x2 takes window maxima and drops odd edges", arguments: [1, 2])
    func maxPool(batch: Int) {
        var random = SeededRandom(state: UInt64(batch) + 10)
        for (h, w) in spatialSizes {
            let x = random.tensor([batch, 3, h, w])
            let ours = Ops.maxPool2x2(x)
            #expect(ours.shape == [batch, 3, h / 2, w / 2])
            #expect(relativeError(ours, Naive.maxPool(RefArray(x))) == 0)
        }
    }

    @Test("upsample2x matches the reference",
          arguments: [UpsampleMode.nearest, .bilinear], [1, 2])
    func upsample(mode: UpsampleMode, batch: Int) {
        var random = SeededRandom(state: UInt64(batch) + 20)
        for (h, w) in spatialSizes {
            let x = random.tensor([batch, 2, h, w])
            let ours = Ops.upsample2x(x, mode: mode)
            #expect(ours.shape == [batch, 2, 2 * h, 2 * w])
            #expect(relativeError(ours, Naive.upsample(RefArray(x), mode)) < Self.tolerance)
        }
    }

    @Test("bilinear upsampling keeps the corners (align_corners)")
    func bilinearKeepsCorners() {
        let x = Tensor(shape: [1, 1, 2, 2], data: [0, 3, 6, 9])
        let y = Ops.upsample2x(x, mode: .bilinear)
        #expect(y[0, 0, 0, 0] == 0 && y[0, 0, 0, 3] == 3 && y[0, 0, 3, 0] == 6
                && y[0, 0, 3, 3] == 9)
        // Output column 1 samples input position 1/3.
        #expect(abs(y[0, 0, 0, 1] - 1) < 1e-6)
    }

    @Test("concatChannels puts b's channels after a's, per batch item")
    func concat() {
        var random = SeededRandom(state: 3)
        let a = random.tensor([2, 3, 5, 7])
        let b = random.tensor([2, 2, 5, 7])
        let c = Ops.concatChannels(a, b)
        #expect(c.shape == [2, 5, 5, 7])
        for n in 0..<2 { for ch in 0..<5 { for y in 0..<5 { for x in 0..<7 {
            #expect(c[n, ch, y, x] == (ch < 3 ? a[n, ch, y, x] : b[n, ch - 3, y, x]))
        } } } }
    }

    @Test("batchNorm applies the running statistics", arguments: [1, 2])
    func batchNorm(batch: Int) {
        var random = SeededRandom(state: 4)
        let x = random.tensor([batch, 4, 5, 7])
        let gamma = random.tensor([4])
        let beta = random.tensor([4])
        let mean = random.tensor([4])
        let variance = Tensor(shape: [4], data: [0.5, 1, 2, 0.01])
        let ours = Ops.batchNorm(x, gamma: gamma, beta: beta, mean: mean, variance: variance,
                                 epsilon: 1e-5)
        let reference = Naive.batchNorm(
            RefArray(x), gamma: RefArray(gamma).values, beta: RefArray(beta).values,
            mean: RefArray(mean).values, variance: RefArray(variance).values, epsilon: 1e-5)
        #expect(relativeError(ours, reference) < 1e-5)
    }

    @Test("instanceBatchNorm normalises with the tensor's own statistics", arguments: [1, 2])
    func instanceBatchNorm(batch: Int) {
        var random = SeededRandom(state: 5)
        let x = random.tensor([batch, 3, 17, 13], scale: 4)
        let gamma = random.tensor([3])
        let beta = random.tensor([3])
        let ours = Ops.instanceBatchNorm(x, gamma: gamma, beta: beta, epsilon: 1e-5)
        let (mean, variance) = Naive.channelStatistics(RefArray(x))
        let reference = Naive.batchNorm(
            RefArray(x), gamma: RefArray(gamma).values, beta: RefArray(beta).values,
            mean: mean, variance: variance, epsilon: 1e-5)
        #expect(relativeError(ours, reference) < 1e-5)
    }

    @Test("pad fills by the padding mode", arguments: [Padding.zero, .reflect, .replicate])
    func pad(mode: Padding) {
        var random = SeededRandom(state: 6)
        let x = random.tensor([2, 2, 5, 7])
        for (top, left, bottom, right) in [(0, 0, 0, 0), (1, 2, 3, 4), (4, 6, 0, 1), (2, 0, 4, 3)] {
            let ours = Ops.pad(x, top: top, left: left, bottom: bottom, right: right, mode: mode)
            let reference = Naive.pad(RefArray(x), top: top, left: left, bottom: bottom,
                                      right: right, mode)
            #expect(relativeError(ours, reference) == 0)
        }
    }

    @Test("crop takes the window and undoes pad")
    func crop() {
        var random = SeededRandom(state: 7)
        let x = random.tensor([2, 3, 5, 7])
        let padded = Ops.pad(x, top: 3, left: 1, bottom: 2, right: 4, mode: .reflect)
        #expect(Ops.crop(padded, top: 3, left: 1, height: 5, width: 7) == x)
        let window = Ops.crop(x, top: 1, left: 2, height: 3, width: 4)
        #expect(window.shape == [2, 3, 3, 4])
        #expect(window[1, 2, 2, 3] == x[1, 2, 3, 5])
    }

    @Test("sumOfSquaresOverChannels sums x² over channels per pixel")
    func sumOfSquares() {
        var random = SeededRandom(state: 8)
        let x = random.tensor([2, 40, 5, 7])
        let ours = Ops.sumOfSquaresOverChannels(x)
        #expect(ours.shape == [2, 1, 5, 7])
        var reference = RefArray(zeros: [2, 1, 5, 7])
        let rx = RefArray(x)
        for n in 0..<2 { for c in 0..<40 { for y in 0..<5 { for xx in 0..<7 {
            reference[n, 0, y, xx] += rx[n, c, y, xx] * rx[n, c, y, xx]
        } } } }
        #expect(relativeError(ours, reference) < 1e-5)
    }
}

@Suite("Tensor shape arithmetic")
struct TensorShapeTests {
    @Test("checkedElementCount rejects negative extents and overflow")
    func checkedElementCount() {
        #expect(Tensor.checkedElementCount([2, 3, 4]) == 24)
        #expect(Tensor.checkedElementCount([]) == 1)
        #expect(Tensor.checkedElementCount([5, 0, 7]) == 0)
        #expect(Tensor.checkedElementCount([2, -1]) == nil)
        #expect(Tensor.checkedElementCount([Int.max / 2, 3]) == nil)
    }
}
