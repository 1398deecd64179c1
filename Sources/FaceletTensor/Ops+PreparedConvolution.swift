import Dispatch
import Foundation

extension Ops {
    /// Stride-1 "same" convolution with a prepared layer, optional fused ReLU.
    ///
    /// The same operator as `conv2d(_:weight:bias:padding:relu:)` (`x` `[N, in, H, W]`, result
    /// `[N, out, H, W]`), computed by the fastest kernel for the layer: Winograd F(4×4, 3×3)
    /// for 3×3 layers with at least 8 input and output channels on images of at least 8×8,
    /// banded im2col + sgemm otherwise. The Winograd path agrees with the plain convolution to
    /// about 1e-5 of the output's largest magnitude (fp32 rounding of the transforms); its
    /// scratch is bounded (about 32 MiB) whatever the image size.
    ///
    /// - Precondition: `x` rank 4 with `prepared.inChannels` channels; the padding
    ///   preconditions of `conv2d(_:weight:bias:padding:relu:)`.
    public static func conv2d(_ x: Tensor, prepared: PreparedConvolution, padding: Padding,
                              relu: Bool = false) -> Tensor {
        conv2d(x, prepared: prepared, padding: padding, relu: relu, path: .automatic,
               winogradBudget: WinogradLayout.defaultBudget)
    }

    /// `conv2d` with a forced path, an explicit Winograd block budget and a forced way of
    /// sharing the Winograd blocks between threads, for tests.
    static func conv2d(_ x: Tensor, prepared: PreparedConvolution, padding: Padding, relu: Bool,
                       path: ConvolutionPath, winogradBudget: Int,
                       threading: WinogradThreading = .automatic) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == prepared.inChannels,
                     "conv2d: prepared weight \(prepared.weight.shape) does not fit input "
                        + "\(x.shape)")
        let chosen = path == .automatic
            ? ConvolutionPath.choose(kernel: prepared.kernel, inChannels: prepared.inChannels,
                                     outChannels: prepared.outChannels, height: x.h, width: x.w)
            : path
        guard chosen == .winograd else {
            return im2colConv2d(x, weight: prepared.weight, bias: prepared.bias,
                                padding: padding, relu: relu,
                                bandBudget: ConvolutionLayout.defaultBandBudget)
        }
        precondition(prepared.kernel == 3, "conv2d: Winograd needs a 3x3 kernel")
        // The same padding preconditions as the im2col path.
        _ = ConvolutionLayout(inChannels: x.c, height: x.h, width: x.w, kernel: 3,
                              padding: padding)
        let layout = WinogradLayout(inChannels: x.c, outChannels: prepared.outChannels,
                                    height: x.h, width: x.w, padding: padding,
                                    budget: winogradBudget)
        return winogradConv2d(x, prepared: prepared, layout: layout, relu: relu,
                              threading: threading)
    }

    /// Runs the Winograd convolution block by block on `ComputeThreads.current` threads.
    ///
    /// With enough tiles for every thread to get blocks of `blockParallelTiles` or more, each
    /// thread takes whole blocks (input transform, 36 products, output transform, all on that
    /// thread with its own scratch), claiming the next block when it finishes one, so no
    /// thread waits for another between steps and a thread slowed by other work takes fewer
    /// blocks. Otherwise (small images) the threads share each block: the input transform split
    /// over input channels, the 36 products over ξ, the output transform over output channels.
    /// Every product is one single-threaded OpenBLAS call on a block that depends only on the
    /// shapes and the thread count, so the result is the same bits whichever thread computes a
    /// block and whatever else the process runs.
    private static func winogradConv2d(_ x: Tensor, prepared: PreparedConvolution,
                                       layout: WinogradLayout, relu: Bool,
                                       threading: WinogradThreading) -> Tensor {
        let outCount = x.n * layout.outChannels * layout.plane
        guard outCount > 0 else {
            return Tensor(zeros: [x.n, layout.outChannels, layout.height, layout.width])
        }
        // Every element is written by the output transform, so no zero fill is needed.
        var out = Tensor(shape: [x.n, layout.outChannels, layout.height, layout.width],
                         data: uninitializedFloats(outCount))
        let workers = ComputeThreads.current
        let tiles = layout.tileRows * layout.tileColumns
        let blockParallel: Bool
        switch threading {
        case .automatic:
            blockParallel = workers > 1 && layout.tileRows >= workers
                && tiles >= workers * blockParallelTiles
        case .perThread: blockParallel = true
        case .shared: blockParallel = false
        }
        x.data.withUnsafeBufferPointer { input in
        out.data.withUnsafeMutableBufferPointer { output in
        prepared.winogradFilters.withUnsafeBufferPointer { filters in
        prepared.bias.data.withUnsafeBufferPointer { bias in
            let operands = WinogradOperands(
                input: SharedConstFloats(base: input.baseAddress!),
                output: SharedFloats(base: output.baseAddress!),
                filters: SharedConstFloats(base: filters.baseAddress!),
                bias: SharedConstFloats(base: bias.baseAddress!), relu: relu)
            if blockParallel {
                // Forced (tests): one tile row per block, as many blocks as possible.
                let parts = threading == .perThread ? layout.tileRows
                    : (tiles + targetBlockTiles - 1) / targetBlockTiles
                let split = layout.splitting(into: parts, multiple: workers)
                winogradBlocksPerThread(operands, images: x.n, layout: split,
                                        workers: workers)
            } else {
                winogradBlocksShared(operands, images: x.n, layout: layout, workers: workers)
            }
        }
        }
        }
        }
        return out
    }

    /// The fewest tiles per block for which threads take whole blocks.
    private static let blockParallelTiles = 64
    /// The tiles of a block when threads take whole blocks (fewer when the budget says so).
    private static let targetBlockTiles = WinogradLayout.targetTiles

    /// Each thread claims whole blocks (over all images) and runs every step of them itself.
    private static func winogradBlocksPerThread(_ operands: WinogradOperands, images: Int,
                                                layout: WinogradLayout, workers: Int) {
        let blocksPerImage = (layout.tileRows + layout.blockRows - 1) / layout.blockRows
        let queue = BlockQueue(count: images * blocksPerImage)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let scratch = WinogradScratch(layout: layout)
            defer { scratch.deallocate() }
            while let index = queue.next() {
                let (image, block) = index.quotientAndRemainder(dividingBy: blocksPerImage)
                let firstTileRow = block * layout.blockRows
                let rows = min(layout.blockRows, layout.tileRows - firstTileRow)
                let tiles = rows * layout.tileColumns
                let source = operands.input.base + image * layout.inChannels * layout.plane
                let target = operands.output.base + image * layout.outChannels * layout.plane
                layout.transformInput(source, channels: 0..<layout.inChannels,
                                      firstTileRow: firstTileRow, rows: rows, into: scratch.v,
                                      strip: scratch.strip)
                for xi in 0..<Winograd.positions {
                    product(operands, layout: layout, xi: xi, tiles: tiles, v: scratch.v,
                            m: scratch.m)
                }
                layout.transformOutput(UnsafePointer(scratch.m),
                                       channels: 0..<layout.outChannels,
                                       firstTileRow: firstTileRow, rows: rows,
                                       bias: operands.bias.base, relu: operands.relu,
                                       into: target, scratch: scratch.output)
            }
        }
    }

    /// The threads share each block: the input transform split over input channels, the 36
    /// products over ξ, the output transform over output channels, each claimed in parts.
    private static func winogradBlocksShared(_ operands: WinogradOperands, images: Int,
                                             layout: WinogradLayout, workers: Int) {
        let (inChannels, outChannels) = (layout.inChannels, layout.outChannels)
        // Scratch of one block; the transforms and products write every entry they read.
        var v = uninitializedFloats(Winograd.positions * inChannels * layout.blockTiles)
        var m = uninitializedFloats(Winograd.positions * outChannels * layout.blockTiles)
        v.withUnsafeMutableBufferPointer { vBuffer in
        m.withUnsafeMutableBufferPointer { mBuffer in
            let (vShared, mShared) = (SharedFloats(base: vBuffer.baseAddress!),
                                      SharedFloats(base: mBuffer.baseAddress!))
            for image in 0..<images {
                let source = SharedConstFloats(
                    base: operands.input.base + image * inChannels * layout.plane)
                let target = SharedFloats(
                    base: operands.output.base + image * outChannels * layout.plane)
                for firstTileRow in stride(from: 0, to: layout.tileRows, by: layout.blockRows) {
                    let rows = min(layout.blockRows, layout.tileRows - firstTileRow)
                    let tiles = rows * layout.tileColumns
                    claimRanges(inChannels, parts: workers,
                                chunk: max(4, inChannels / (4 * workers))) { channels in
                        let strip = UnsafeMutablePointer<Float>.allocate(
                            capacity: layout.inputScratch)
                        defer { strip.deallocate() }
                        layout.transformInput(source.base, channels: channels,
                                              firstTileRow: firstTileRow, rows: rows,
                                              into: vShared.base, strip: strip)
                    }
                    claimRanges(Winograd.positions, parts: workers, chunk: 1) { positions in
                        for xi in positions {
                            product(operands, layout: layout, xi: xi, tiles: tiles,
                                    v: vShared.base, m: mShared.base)
                        }
                    }
                    claimRanges(outChannels, parts: workers,
                                chunk: max(4, outChannels / (4 * workers))) { channels in
                        let scratch = UnsafeMutablePointer<Float>.allocate(
                            capacity: 24 * layout.tileColumns)
                        defer { scratch.deallocate() }
                        layout.transformOutput(UnsafePointer(mShared.base), channels: channels,
                                               firstTileRow: firstTileRow, rows: rows,
                                               bias: operands.bias.base, relu: operands.relu,
                                               into: target.base, scratch: scratch)
                    }
                }
            }
        }
        }
    }

    /// `M_ξ = U_ξ · V_ξ` of one block, by single-threaded OpenBLAS (the same bits on any
    /// thread).
    @inline(__always)
    private static func product(_ operands: WinogradOperands, layout: WinogradLayout, xi: Int,
                                tiles: Int, v: UnsafeMutablePointer<Float>,
                                m: UnsafeMutablePointer<Float>) {
        let (inChannels, outChannels) = (layout.inChannels, layout.outChannels)
        serialSgemm(m: outChannels, n: tiles, k: inChannels,
                    a: operands.filters.base + xi * outChannels * inChannels, lda: inChannels,
                    b: v + xi * inChannels * tiles, ldb: tiles,
                    beta: 0, c: m + xi * outChannels * tiles, ldc: tiles)
    }

    /// An array of `count` floats whose values are unspecified until written (no zero fill).
    private static func uninitializedFloats(_ count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// Calls `body` on disjoint ranges of `chunk` (the last one shorter) covering
    /// `0..<count`, on up to `parts` threads that each claim the next range when done, so a
    /// thread slowed by other work takes fewer ranges.
    private static func claimRanges(_ count: Int, parts: Int, chunk: Int,
                                    _ body: @Sendable (Range<Int>) -> Void) {
        let chunk = max(1, chunk)
        let ranges = (count + chunk - 1) / chunk
        let parts = min(parts, ranges)
        if parts <= 1 {
            body(0..<count)
            return
        }
        let queue = BlockQueue(count: ranges)
        DispatchQueue.concurrentPerform(iterations: parts) { _ in
            while let index = queue.next() {
                body((index * chunk)..<min(count, (index + 1) * chunk))
            }
        }
    }
}

/// How the threads share a Winograd convolution's blocks.
enum WinogradThreading: Sendable {
    /// Whole blocks per thread when every thread gets big enough blocks, else shared blocks.
    case automatic
    /// Whole blocks per thread (one tile row each), whatever the size.
    case perThread
    /// Every block split between the threads.
    case shared
}

/// The tensors of one Winograd convolution, shared with the threads that run it.
private struct WinogradOperands: Sendable {
    let input: SharedConstFloats
    let output: SharedFloats
    let filters: SharedConstFloats
    let bias: SharedConstFloats
    let relu: Bool
}

/// One thread's scratch for whole blocks: transformed inputs, products, a strip and the
/// output transform's rows. The transforms and products write every entry they read.
private struct WinogradScratch {
    let v: UnsafeMutablePointer<Float>
    let m: UnsafeMutablePointer<Float>
    let strip: UnsafeMutablePointer<Float>
    let output: UnsafeMutablePointer<Float>

    init(layout: WinogradLayout) {
        v = .allocate(capacity: Winograd.positions * layout.inChannels * layout.blockTiles)
        m = .allocate(capacity: Winograd.positions * layout.outChannels * layout.blockTiles)
        strip = .allocate(capacity: layout.inputScratch)
        output = .allocate(capacity: 24 * layout.tileColumns)
    }

    func deallocate() {
        v.deallocate()
        m.deallocate()
        strip.deallocate()
        output.deallocate()
    }
}

/// Hands out block indices `0..<count` to the threads, each once.
///
/// `@unchecked Sendable`: the counter is only read and written under `lock`.
private final class BlockQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var nextIndex = 0
    private let count: Int

    init(count: Int) {
        self.count = count
    }

    /// The next unclaimed index, or nil when all are taken.
    func next() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard nextIndex < count else { return nil }
        nextIndex += 1
        return nextIndex - 1
    }
}
