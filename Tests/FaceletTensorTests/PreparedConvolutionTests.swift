import Testing
@testable import FaceletTensor

/// Shapes for the prepared-convolution paths: sizes not divisible by 4 or 16, one-pixel
/// borders, tiny images, N = 1 and 2, every padding.
let preparedCases: [ConvCase] = {
    var cases: [ConvCase] = []
    let sizes = [(1, 1), (1, 4), (2, 2), (3, 5), (4, 4), (5, 5), (5, 3), (7, 9), (9, 6),
                 (17, 13), (16, 16), (18, 21)]
    for (index, (height, width)) in sizes.enumerated() {
        for padding in [Padding.zero, .reflect, .replicate] {
            if padding == .reflect && (height < 2 || width < 2) { continue }
            cases.append(ConvCase(batch: 1 + index % 2, inChannels: 3 + index % 5,
                                  outChannels: 2 + (index * 3) % 7, height: height,
                                  width: width, kernel: 3, padding: padding))
        }
    }
    cases.append(ConvCase(batch: 2, inChannels: 24, outChannels: 19, height: 11, width: 14,
                          kernel: 3, padding: .reflect))
    cases.append(ConvCase(batch: 1, inChannels: 9, outChannels: 33, height: 21, width: 10,
                          kernel: 3, padding: .zero))
    return cases
}()

@Suite("Prepared convolutions (Winograd and im2col) against the nested-loop reference")
struct PreparedConvolutionTests {
    /// Winograd F(4×4, 3×3) tolerance: max error / max |reference| (at least 1). Its float32
    /// transforms scale values by up to 8 and back, so its rounding is about ten times that of
    /// a direct sum: measured 1.8e-6 on 8 channels, 5.4e-6 on the 64-channel layer below and
    /// 7.5e-6 on 256 channels (im2col: 1.5e-7 to 6.7e-7 on the same layers).
    static let winogradTolerance = 1e-5
    /// The im2col path's tolerance, as in ConvolutionTests.
    static let im2colTolerance = 1e-5

    @Test("every path matches the reference", arguments: preparedCases)
    func everyPathMatchesReference(_ shape: ConvCase) {
        var random = SeededRandom(state: shape.seed ^ 0x3141)
        let x = random.tensor([shape.batch, shape.inChannels, shape.height, shape.width])
        let w = random.tensor([shape.outChannels, shape.inChannels, 3, 3])
        let b = random.tensor([shape.outChannels])
        let prepared = PreparedConvolution(weight: w, bias: b)
        for relu in [false, true] {
            let reference = Naive.conv2d(RefArray(x), RefArray(w), RefArray(b), shape.padding,
                                         relu: relu)
            let paths: [(ConvolutionPath, Double)] = [
                (.winograd, Self.winogradTolerance), (.im2col, Self.im2colTolerance),
                (.automatic, Self.winogradTolerance),
            ]
            for (path, tolerance) in paths {
                let ours = Ops.conv2d(x, prepared: prepared, padding: shape.padding, relu: relu,
                                      path: path, winogradBudget: WinogradLayout.defaultBudget)
                #expect(ours.shape == [shape.batch, shape.outChannels, shape.height,
                                       shape.width])
                #expect(relativeError(ours, reference) < tolerance, "\(path) relu \(relu)")
            }
        }
        let unbiased = PreparedConvolution(weight: w, bias: nil)
        let reference = Naive.conv2d(RefArray(x), RefArray(w), nil, shape.padding)
        let ours = Ops.conv2d(x, prepared: unbiased, padding: shape.padding, relu: false,
                              path: .winograd, winogradBudget: WinogradLayout.defaultBudget)
        #expect(relativeError(ours, reference) < Self.winogradTolerance)
    }

    @Test("Winograd gives the same result over many tile-row blocks",
          arguments: [Padding.zero, .reflect, .replicate], [1, 2, 3])
    func manyBlocksMatchReference(padding: Padding, rowsPerBlock: Int) {
        let (batch, inChannels, outChannels, height, width) = (2, 5, 6, 23, 10)
        let perTileRow = Winograd.positions * (inChannels + outChannels) * ((width + 3) / 4)
        let layout = WinogradLayout(inChannels: inChannels, outChannels: outChannels,
                                    height: height, width: width, padding: padding,
                                    budget: perTileRow * rowsPerBlock)
        #expect(layout.blockRows == rowsPerBlock)
        var random = SeededRandom(state: 99 + UInt64(rowsPerBlock))
        let x = random.tensor([batch, inChannels, height, width])
        let w = random.tensor([outChannels, inChannels, 3, 3])
        let b = random.tensor([outChannels])
        let ours = Ops.conv2d(x, prepared: PreparedConvolution(weight: w, bias: b),
                              padding: padding, relu: true, path: .winograd,
                              winogradBudget: layout.blockTiles * Winograd.positions
                                * (inChannels + outChannels))
        let reference = Naive.conv2d(RefArray(x), RefArray(w), RefArray(b), padding, relu: true)
        #expect(relativeError(ours, reference) < Self.winogradTolerance)
    }

    @Test("threads taking whole blocks and threads sharing blocks both match the reference",
          arguments: preparedCases)
    func bothThreadingsMatchReference(_ shape: ConvCase) {
        var random = SeededRandom(state: shape.seed ^ 0x2718)
        let x = random.tensor([shape.batch, shape.inChannels, shape.height, shape.width])
        let w = random.tensor([shape.outChannels, shape.inChannels, 3, 3])
        let b = random.tensor([shape.outChannels])
        let prepared = PreparedConvolution(weight: w, bias: b)
        let reference = Naive.conv2d(RefArray(x), RefArray(w), RefArray(b), shape.padding,
                                     relu: true)
        for threading in [WinogradThreading.perThread, .shared] {
            let ours = Ops.conv2d(x, prepared: prepared, padding: shape.padding, relu: true,
                                  path: .winograd, winogradBudget: WinogradLayout.defaultBudget,
                                  threading: threading)
            #expect(relativeError(ours, reference) < Self.winogradTolerance, "\(threading)")
        }
    }

    @Test("a convolution gives the same bits while other convolutions run at the same time")
    func sameBitsUnderConcurrency() async {
        var random = SeededRandom(state: 2026)
        // 13 × 11 tiles: whole blocks per thread at two threads.
        let wideX = random.tensor([1, 16, 52, 44])
        let wide = PreparedConvolution(weight: random.tensor([24, 16, 3, 3], scale: 0.1),
                                       bias: random.tensor([24]))
        // 3 × 3 tiles: the threads share each block.
        let deepX = random.tensor([2, 40, 12, 12])
        let deep = PreparedConvolution(weight: random.tensor([36, 40, 3, 3], scale: 0.1),
                                       bias: random.tensor([36]))
        // im2col through a product big enough to be split between threads.
        let plainX = random.tensor([1, 32, 40, 40])
        let plainW = random.tensor([64, 32, 3, 3], scale: 0.1)
        let runs: [@Sendable () -> Tensor] = [
            { Ops.conv2d(wideX, prepared: wide, padding: .reflect, relu: true) },
            { Ops.conv2d(deepX, prepared: deep, padding: .zero, relu: false) },
            { Ops.conv2d(plainX, weight: plainW, bias: nil, padding: .replicate) },
            { Ops.conv2d(wideX, prepared: wide, padding: .zero, relu: false, path: .winograd,
                         winogradBudget: WinogradLayout.defaultBudget, threading: .perThread) },
        ]
        let alone = runs.map { $0() }
        for _ in 0..<3 {
            let together = await withTaskGroup(of: (Int, Tensor).self) { group in
                for _ in 0..<3 {
                    for (index, run) in runs.enumerated() {
                        group.addTask { (index, run()) }
                    }
                }
                var results: [(Int, Tensor)] = []
                for await result in group { results.append(result) }
                return results
            }
            #expect(together.count == 3 * runs.count)
            for (index, tensor) in together {
                #expect(tensor == alone[index], "convolution \(index) changed under concurrency")
            }
        }
    }

    @Test("Winograd matches im2col on a wide layer with realistic weights, two threads")
    func winogradMatchesIm2colOnWideLayer() {
        var random = SeededRandom(state: 4242)
        let (inChannels, outChannels) = (64, 48)
        let x = random.tensor([1, inChannels, 30, 27])
        let w = random.tensor([outChannels, inChannels, 3, 3],
                              scale: Float((2.0 / Double(inChannels * 9)).squareRoot()))
        let b = random.tensor([outChannels], scale: 0.1)
        let prepared = PreparedConvolution(weight: w, bias: b)
        let reference = Naive.conv2d(RefArray(x), RefArray(w), RefArray(b), .zero, relu: true)
        let ours = Ops.conv2d(x, prepared: prepared, padding: .zero, relu: true, path: .winograd,
                              winogradBudget: WinogradLayout.defaultBudget)
        #expect(relativeError(ours, reference) < Self.winogradTolerance)
        #expect(ConvolutionPath.choose(kernel: 3, inChannels: inChannels,
                                       outChannels: outChannels, height: 30, width: 27)
                == .winograd)
    }

    @Test("the path choice keeps im2col for other kernels, narrow layers and tiny images")
    func pathChoice() {
        #expect(ConvolutionPath.choose(kernel: 3, inChannels: 3, outChannels: 64, height: 448,
                                       width: 448) == .im2col)
        #expect(ConvolutionPath.choose(kernel: 5, inChannels: 64, outChannels: 64, height: 64,
                                       width: 64) == .im2col)
        #expect(ConvolutionPath.choose(kernel: 3, inChannels: 64, outChannels: 64, height: 7,
                                       width: 64) == .im2col)
        #expect(ConvolutionPath.choose(kernel: 3, inChannels: 512, outChannels: 512, height: 28,
                                       width: 28) == .winograd)
    }

    @Test("the Winograd scratch stays bounded for a 2048x2048 64-channel layer")
    func winogradScratchIsBounded() {
        let layout = WinogradLayout(inChannels: 64, outChannels: 64, height: 2048, width: 2048,
                                    padding: .reflect)
        let scratch = Winograd.positions * (64 + 64) * layout.blockTiles
        #expect(scratch <= WinogradLayout.defaultBudget)
        #expect(layout.blockRows >= 1)
        // 32 MiB of scratch against a 1 GiB activation.
        #expect(scratch * 30 < 64 * 2048 * 2048)
    }

    @Test("prepared im2col path equals the weight-taking conv2d exactly", arguments: [1, 5])
    func preparedIm2colEqualsPlainConv(kernel: Int) {
        var random = SeededRandom(state: 7 + UInt64(kernel))
        let x = random.tensor([2, 3, 9, 8])
        let w = random.tensor([4, 3, kernel, kernel])
        let b = random.tensor([4])
        let prepared = PreparedConvolution(weight: w, bias: b)
        let ours = Ops.conv2d(x, prepared: prepared, padding: .reflect, relu: true)
        #expect(ours == Ops.conv2d(x, weight: w, bias: b, padding: .reflect, relu: true))
    }
}
