import COpenBLAS
import Dispatch

/// The geometry of one stride-1 "same" convolution and the im2col/col2im moves over bands of
/// output rows.
///
/// The column matrix of a band of `rows` output rows is `[inChannels * k * k, rows * width]`,
/// row `(c * k + ky) * k + kx` holding input channel `c` shifted by `(ky - p, kx - p)`, where
/// `p = k / 2`. That row order matches the `[out, in, k, k]` weight layout, so the weight is the
/// `[out, in * k * k]` matrix of the product.
struct ConvolutionLayout: Sendable {
    let inChannels: Int
    let height: Int
    let width: Int
    let kernel: Int
    let padding: Padding
    /// The floats one band's column buffer may hold (at least one row is always taken).
    let bandBudget: Int

    /// The default band budget: 2^21 floats (8 MiB), so a band stays near the caches while the
    /// product stays wide enough for sgemm.
    static let defaultBandBudget = 1 << 21

    var pad: Int { kernel / 2 }
    var plane: Int { height * width }
    /// Rows of the column matrix: `inChannels * k * k`.
    var patch: Int { inChannels * kernel * kernel }

    /// The number of output rows per band so a column buffer stays within `bandBudget`.
    var bandRows: Int {
        if kernel == 1 { return height }
        return max(1, min(height, bandBudget / max(1, patch * width)))
    }

    init(inChannels: Int, height: Int, width: Int, kernel: Int, padding: Padding,
         bandBudget: Int = ConvolutionLayout.defaultBandBudget) {
        precondition(kernel >= 1 && kernel % 2 == 1, "conv2d: kernel \(kernel) must be odd")
        let pad = kernel / 2
        if pad > 0 {
            switch padding {
            case .zero:
                break
            case .reflect:
                precondition(height > pad && width > pad,
                             "conv2d: reflect padding with kernel \(kernel) needs height and "
                                + "width of at least \(pad + 1), got \(height)x\(width)")
            case .replicate:
                precondition(height >= 1 && width >= 1,
                             "conv2d: replicate padding needs a non-empty image")
            }
        }
        self.inChannels = inChannels
        self.height = height
        self.width = width
        self.kernel = kernel
        self.padding = padding
        self.bandBudget = bandBudget
    }

    /// The interior columns `lo..<hi` of kernel column `kx`, whose source `ox + kx - p` lies
    /// inside the row, so they move as one contiguous run.
    @inline(__always)
    func interior(_ kx: Int) -> (lo: Int, hi: Int) {
        let lo = min(width, max(0, pad - kx))
        let hi = max(lo, min(width, width + pad - kx))
        return (lo, hi)
    }

    /// Fills `column` (`[patch, rows * width]`) for output rows `firstRow..<firstRow + rows`
    /// of the image `image` (`[inChannels, height, width]`).
    func im2col(_ image: UnsafePointer<Float>, firstRow: Int, rows: Int,
                into column: UnsafeMutablePointer<Float>) {
        let source = SharedConstFloats(base: image)
        let target = SharedFloats(base: column)
        let span = rows * width
        let chunk = max(1, (1 << 14) / max(1, span * kernel * kernel))
        Parallel.forEachRange(inChannels, minimumChunk: chunk) { channels in
            for c in channels {
                let channelBase = source.base + c * plane
                for ky in 0..<kernel {
                    for kx in 0..<kernel {
                        let row = target.base + ((c * kernel + ky) * kernel + kx) * span
                        fillColumnRow(channelBase, ky: ky, kx: kx, firstRow: firstRow,
                                      rows: rows, into: row)
                    }
                }
            }
        }
    }

    @inline(__always)
    private func fillColumnRow(_ channelBase: UnsafePointer<Float>, ky: Int, kx: Int,
                               firstRow: Int, rows: Int, into row: UnsafeMutablePointer<Float>) {
        let (lo, hi) = interior(kx)
        let shift = kx - pad
        for yy in 0..<rows {
            let out = row + yy * width
            guard let iy = padding.sourceIndex(firstRow + yy + ky - pad, size: height) else {
                out.update(repeating: 0, count: width)
                continue
            }
            let line = channelBase + iy * width
            for ox in 0..<lo { out[ox] = edgeValue(line, ox + shift) }
            if hi > lo { (out + lo).update(from: line + lo + shift, count: hi - lo) }
            for ox in hi..<width { out[ox] = edgeValue(line, ox + shift) }
        }
    }

    @inline(__always)
    private func edgeValue(_ line: UnsafePointer<Float>, _ ix: Int) -> Float {
        guard let source = padding.sourceIndex(ix, size: width) else { return 0 }
        return line[source]
    }

    /// Adds the column gradient `column` (`[patch, rows * width]`) of output rows
    /// `firstRow..<firstRow + rows` back onto the image gradient `image`, following the same
    /// padding map (a reflected or replicated position adds to the pixel it copied).
    func col2imAdd(_ column: UnsafePointer<Float>, firstRow: Int, rows: Int,
                   into image: UnsafeMutablePointer<Float>) {
        let source = SharedConstFloats(base: column)
        let target = SharedFloats(base: image)
        let span = rows * width
        let chunk = max(1, (1 << 14) / max(1, span * kernel * kernel))
        Parallel.forEachRange(inChannels, minimumChunk: chunk) { channels in
            for c in channels {
                let channelBase = target.base + c * plane
                for ky in 0..<kernel {
                    for kx in 0..<kernel {
                        let row = source.base + ((c * kernel + ky) * kernel + kx) * span
                        addColumnRow(row, ky: ky, kx: kx, firstRow: firstRow, rows: rows,
                                     into: channelBase)
                    }
                }
            }
        }
    }

    @inline(__always)
    private func addColumnRow(_ row: UnsafePointer<Float>, ky: Int, kx: Int, firstRow: Int,
                              rows: Int, into channelBase: UnsafeMutablePointer<Float>) {
        let (lo, hi) = interior(kx)
        let shift = kx - pad
        for yy in 0..<rows {
            guard let iy = padding.sourceIndex(firstRow + yy + ky - pad, size: height) else {
                continue
            }
            let values = row + yy * width
            let line = channelBase + iy * width
            for ox in 0..<lo {
                if let ix = padding.sourceIndex(ox + shift, size: width) { line[ix] += values[ox] }
            }
            for ox in lo..<hi { line[ox + shift] += values[ox] }
            for ox in hi..<width {
                if let ix = padding.sourceIndex(ox + shift, size: width) { line[ix] += values[ox] }
            }
        }
    }
}

/// Row-major single-precision matrix product through OpenBLAS:
/// `C = alpha * op(A) * op(B) + beta * C`, with `op(A)` `[m, k]` and `op(B)` `[k, n]`.
///
/// A large product is split into `ComputeThreads.current` bands of C's columns (or rows, when
/// C has more rows than columns), each computed by single-threaded OpenBLAS on its own thread.
/// The bands depend only on the shape and the thread count, and each element of C is summed
/// over k by the same single-threaded kernel, so the result never depends on what else runs.
func sgemm(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
           alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
           b: UnsafePointer<Float>, ldb: Int,
           beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    guard m > 0 && n > 0 else { return }
    let alongColumns = n >= m
    let length = alongColumns ? n : m
    // Bands are multiples of 16 (OpenBLAS's register tiles) and at least 64 wide.
    let parts = m * n * max(k, 1) < GemmSplit.minimumWork
        ? 1 : min(ComputeThreads.current, length / GemmSplit.minimumBand)
    guard parts > 1 else {
        serialSgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                    alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        return
    }
    let step = (length + parts - 1) / parts
    let band = (step + 15) / 16 * 16
    let (aShared, bShared) = (SharedConstFloats(base: a), SharedConstFloats(base: b))
    let cShared = SharedFloats(base: c)
    DispatchQueue.concurrentPerform(iterations: parts) { part in
        let start = part * band
        let end = min(length, start + band)
        guard start < end else { return }
        if alongColumns {
            // Columns start..<end of op(B) and of C.
            serialSgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: end - start,
                        k: k, alpha: alpha, a: aShared.base, lda: lda,
                        b: bShared.base + (transposeB ? start * ldb : start), ldb: ldb,
                        beta: beta, c: cShared.base + start, ldc: ldc)
        } else {
            // Rows start..<end of op(A) and of C.
            serialSgemm(transposeA: transposeA, transposeB: transposeB, m: end - start, n: n,
                        k: k, alpha: alpha,
                        a: aShared.base + (transposeA ? start : start * lda), lda: lda,
                        b: bShared.base, ldb: ldb,
                        beta: beta, c: cShared.base + start * ldc, ldc: ldc)
        }
    }
}

/// Where `sgemm` stops splitting.
private enum GemmSplit {
    /// Products below this many multiply-adds run on one thread.
    static let minimumWork = 1 << 21
    /// The narrowest band worth a thread.
    static let minimumBand = 64
}

/// One OpenBLAS `sgemm` call on the calling thread (OpenBLAS is kept single-threaded, see
/// `ComputeThreads`), with the operands of `sgemm`.
@inline(__always)
func serialSgemm(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
                 alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                 b: UnsafePointer<Float>, ldb: Int,
                 beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    guard m > 0 && n > 0 else { return }
    precondition([m, n, k, lda, ldb, ldc].allSatisfy { $0 <= Int(Int32.max) },
                 "sgemm: a dimension or stride exceeds OpenBLAS's 32-bit integers")
    // Reading the count makes sure OpenBLAS was set single-threaded before its first use.
    _ = ComputeThreads.current
    cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
                transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                beta, c, Int32(ldc))
}
