import COpenBLAS
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

    /// `conv2d` with a forced path and an explicit Winograd block budget, for tests.
    static func conv2d(_ x: Tensor, prepared: PreparedConvolution, padding: Padding, relu: Bool,
                       path: ConvolutionPath, winogradBudget: Int) -> Tensor {
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
        return winogradConv2d(x, prepared: prepared, layout: layout, relu: relu)
    }

    /// Runs the Winograd convolution block by block: input transform (split over input
    /// channels), 36 products (split over ξ, or left to OpenBLAS's threads), output transform
    /// with bias and ReLU (split over output channels).
    private static func winogradConv2d(_ x: Tensor, prepared: PreparedConvolution,
                                       layout: WinogradLayout, relu: Bool) -> Tensor {
        let (inChannels, outChannels) = (layout.inChannels, layout.outChannels)
        let outCount = x.n * outChannels * layout.plane
        guard outCount > 0 else {
            return Tensor(zeros: [x.n, outChannels, layout.height, layout.width])
        }
        // Every element is written by the output transform, so no zero fill is needed.
        var out = Tensor(shape: [x.n, outChannels, layout.height, layout.width],
                         data: uninitializedFloats(outCount))
        let blockTiles = layout.blockTiles
        // Scratch of one block; the transforms and products write every entry they read.
        var v = uninitializedFloats(Winograd.positions * inChannels * blockTiles)
        var m = uninitializedFloats(Winograd.positions * outChannels * blockTiles)
        let workers = ComputeThreads.current
        let splitProducts = workers > 1 && WinogradSplit.current == .positions
        if splitProducts { openblas_set_num_threads(1) }
        defer { if splitProducts { openblas_set_num_threads(Int32(clamping: workers)) } }

        x.data.withUnsafeBufferPointer { input in
        out.data.withUnsafeMutableBufferPointer { output in
        prepared.winogradFilters.withUnsafeBufferPointer { filters in
        prepared.bias.data.withUnsafeBufferPointer { bias in
        v.withUnsafeMutableBufferPointer { vBuffer in
        m.withUnsafeMutableBufferPointer { mBuffer in
            let (vShared, mShared) = (SharedFloats(base: vBuffer.baseAddress!),
                                      SharedFloats(base: mBuffer.baseAddress!))
            let u = SharedConstFloats(base: filters.baseAddress!)
            let biasShared = SharedConstFloats(base: bias.baseAddress!)
            for image in 0..<x.n {
                let source = SharedConstFloats(
                    base: input.baseAddress! + image * inChannels * layout.plane)
                let target = SharedFloats(
                    base: output.baseAddress! + image * outChannels * layout.plane)
                for firstTileRow in stride(from: 0, to: layout.tileRows, by: layout.blockRows) {
                    let rows = min(layout.blockRows, layout.tileRows - firstTileRow)
                    let tiles = rows * layout.tileColumns
                    splitRange(inChannels, parts: workers, minimumChunk: 4) { channels in
                        let strip = UnsafeMutablePointer<Float>.allocate(
                            capacity: layout.inputScratch)
                        defer { strip.deallocate() }
                        layout.transformInput(source.base, channels: channels,
                                              firstTileRow: firstTileRow, rows: rows,
                                              into: vShared.base, strip: strip)
                    }
                    let product: @Sendable (Range<Int>) -> Void = { positions in
                        for xi in positions {
                            sgemm(m: outChannels, n: tiles, k: inChannels,
                                  a: u.base + xi * outChannels * inChannels, lda: inChannels,
                                  b: vShared.base + xi * inChannels * tiles, ldb: tiles,
                                  beta: 0, c: mShared.base + xi * outChannels * tiles,
                                  ldc: tiles)
                        }
                    }
                    if splitProducts {
                        splitRange(Winograd.positions, parts: workers, minimumChunk: 1, product)
                    } else {
                        product(0..<Winograd.positions)
                    }
                    splitRange(outChannels, parts: workers, minimumChunk: 4) { channels in
                        let scratch = UnsafeMutablePointer<Float>.allocate(
                            capacity: 24 * layout.tileColumns)
                        defer { scratch.deallocate() }
                        layout.transformOutput(UnsafePointer(mShared.base), channels: channels,
                                               firstTileRow: firstTileRow, rows: rows,
                                               bias: biasShared.base, relu: relu,
                                               into: target.base, scratch: scratch)
                    }
                }
            }
        }
        }
        }
        }
        }
        }
        return out
    }

    /// An array of `count` floats whose values are unspecified until written (no zero fill).
    private static func uninitializedFloats(_ count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// Calls `body` on up to `parts` disjoint ranges covering `0..<count`, concurrently.
    private static func splitRange(_ count: Int, parts: Int, minimumChunk: Int,
                                   _ body: @Sendable (Range<Int>) -> Void) {
        let parts = min(parts, max(1, count / max(1, minimumChunk)))
        if parts <= 1 {
            body(0..<count)
            return
        }
        let step = (count + parts - 1) / parts
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let start = part * step
            let end = min(count, start + step)
            if start < end { body(start..<end) }
        }
    }
}

/// How the 36 products of a Winograd block use the threads.
enum WinogradSplit: String, Sendable {
    /// Each thread runs whole products with single-threaded OpenBLAS.
    case positions
    /// The products run one after another, each on all of OpenBLAS's threads.
    case openblas

    /// `FACELET_WINOGRAD_SPLIT` (`positions` or `openblas`), read once; `openblas` by default.
    ///
    /// `positions` lowers OpenBLAS's process-wide thread count to 1 while its products run;
    /// a convolution running at the same time on another thread then multiplies with another
    /// thread count, and its result changes in the last bits (seen: one photo decoded to two
    /// different PNGs in a process running two edits at once). `openblas` never changes it.
    static let current: WinogradSplit = ProcessInfo.processInfo
        .environment["FACELET_WINOGRAD_SPLIT"].flatMap(WinogradSplit.init(rawValue:))
        ?? .openblas
}
