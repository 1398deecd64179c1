import Foundation

/// The transforms of Winograd's minimal filtering algorithm F(4×4, 3×3) (Lavin and Gray,
/// "Fast Algorithms for Convolutional Neural Networks", 2016), interpolation points
/// 0, ±1, ±2, ∞.
///
/// A 4×4 output tile is `Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d Bᵀᵀ)] A`, where `g` is the 3×3 filter and `d` the
/// 6×6 input tile that starts one pixel above and left of the output tile. Summed over input
/// channels, the element-wise product becomes 36 independent matrix products, one per
/// transform position ξ = (ρ, σ): `M_ξ[out, tiles] = U_ξ[out, in] · V_ξ[in, tiles]`.
enum Winograd {
    /// Output tile side.
    static let tile = 4
    /// Input tile side (`tile + 2`).
    static let window = 6
    /// Transform positions per tile (`window²`).
    static let positions = 36

    /// `G`, 6×3, in Double so the filter transform rounds once.
    static let g: [[Double]] = [
        [1.0 / 4, 0, 0],
        [-1.0 / 6, -1.0 / 6, -1.0 / 6],
        [-1.0 / 6, 1.0 / 6, -1.0 / 6],
        [1.0 / 24, 1.0 / 12, 1.0 / 6],
        [1.0 / 24, -1.0 / 12, 1.0 / 6],
        [0, 0, 1],
    ]

    /// The filter transforms `U_ξ = G g Gᵀ` of a `[out, in, 3, 3]` weight, laid out
    /// `[36, out, in]` so each ξ is a row-major `[out, in]` matrix.
    static func transformFilters(_ weight: UnsafePointer<Float>, outChannels: Int,
                                 inChannels: Int, into u: UnsafeMutablePointer<Float>) {
        let pairStride = outChannels * inChannels
        for o in 0..<outChannels {
            for c in 0..<inChannels {
                let filter = weight + (o * inChannels + c) * 9
                // t = G g: 6×3.
                var t = [Double](repeating: 0, count: 18)
                for i in 0..<6 {
                    for j in 0..<3 {
                        var sum = 0.0
                        for k in 0..<3 { sum += g[i][k] * Double(filter[k * 3 + j]) }
                        t[i * 3 + j] = sum
                    }
                }
                // U = t Gᵀ: 6×6.
                for i in 0..<6 {
                    for j in 0..<6 {
                        var sum = 0.0
                        for k in 0..<3 { sum += t[i * 3 + k] * g[j][k] }
                        u[(i * 6 + j) * pairStride + o * inChannels + c] = Float(sum)
                    }
                }
            }
        }
    }

    /// `Bᵀ` applied down the six rows `s0…s5` at one column: the six transformed rows.
    @inline(__always)
    static func inputColumn(_ s0: Float, _ s1: Float, _ s2: Float, _ s3: Float, _ s4: Float,
                            _ s5: Float) -> (Float, Float, Float, Float, Float, Float) {
        let a = s4 - 4 * s2
        let b = s3 - 4 * s1
        let c = s4 - s2
        let d = 2 * (s3 - s1)
        return (4 * s0 - 5 * s2 + s4, a + b, a - b, c + d, c - d, 4 * s1 - 5 * s3 + s5)
    }

    /// `Aᵀ` applied to six values: the four outputs.
    @inline(__always)
    static func outputLine(_ m0: Float, _ m1: Float, _ m2: Float, _ m3: Float, _ m4: Float,
                           _ m5: Float) -> (Float, Float, Float, Float) {
        let plus12 = m1 + m2
        let minus12 = m1 - m2
        let plus34 = m3 + m4
        let minus34 = m3 - m4
        return (m0 + plus12 + plus34, minus12 + 2 * minus34, plus12 + 4 * plus34,
                minus12 + 8 * minus34 + m5)
    }
}

/// The geometry of one Winograd F(4×4, 3×3) convolution over blocks of tile rows, and its input
/// and output transforms.
///
/// Tiles are numbered row-major over a `tileRows × tileColumns` grid covering the image (the
/// last row and column of tiles may reach past it; those outputs are dropped). A block holds
/// whole tile rows, `blockTiles` tiles at most, so the scratch of one block is
/// `36 * (in + out) * blockTiles` floats whatever the image size.
struct WinogradLayout: Sendable {
    let inChannels: Int
    let outChannels: Int
    let height: Int
    let width: Int
    let padding: Padding
    /// Tile rows per block.
    let blockRows: Int

    /// The default scratch budget of one block, in floats, for the transformed inputs and
    /// products together: 2^23 (32 MiB), or `FACELET_WINOGRAD_BUDGET` when set (for tuning).
    static let defaultBudget: Int = ProcessInfo.processInfo
        .environment["FACELET_WINOGRAD_BUDGET"].flatMap { Int($0) }.map { max(1, $0) }
        ?? 1 << 23

    /// The tiles a block aims at: enough columns for sgemm to run near its peak, few enough
    /// that the block's transformed inputs and products stay near the caches.
    /// `FACELET_WINOGRAD_TILES` overrides it (for tuning).
    static let targetTiles: Int = ProcessInfo.processInfo
        .environment["FACELET_WINOGRAD_TILES"].flatMap { Int($0) }.map { max(1, $0) } ?? 128

    var tileRows: Int { (height + 3) / 4 }
    var tileColumns: Int { (width + 3) / 4 }
    /// The floats of one padded input row of a strip: `4 * tileColumns + 2`.
    var stripWidth: Int { 4 * tileColumns + 2 }
    var plane: Int { height * width }
    var blockTiles: Int { blockRows * tileColumns }

    init(inChannels: Int, outChannels: Int, height: Int, width: Int, padding: Padding,
         budget: Int = WinogradLayout.defaultBudget) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.height = height
        self.width = width
        self.padding = padding
        let columns = (width + 3) / 4
        let perTileRow = Winograd.positions * (inChannels + outChannels) * columns
        let wanted = (WinogradLayout.targetTiles + columns - 1) / columns
        blockRows = max(1, min((height + 3) / 4, wanted, budget / max(1, perTileRow)))
    }

    /// The source index of padded coordinate `i` (from -1) of a line of `size` samples, or nil
    /// for a zero; beyond `size` (positions that only feed dropped outputs) is zero.
    @inline(__always)
    func source(_ i: Int, size: Int) -> Int? {
        if i > size { return nil }
        return padding.sourceIndex(i, size: size)
    }

    /// Transforms channels `channels` of `image` (`[in, H, W]`) over tile rows
    /// `firstTileRow..<firstTileRow + rows` into `v` (`[36, in, rows * tileColumns]`).
    /// `strip` holds `12 * stripWidth` floats of scratch.
    func transformInput(_ image: UnsafePointer<Float>, channels: Range<Int>, firstTileRow: Int,
                        rows: Int, into v: UnsafeMutablePointer<Float>,
                        strip: UnsafeMutablePointer<Float>) {
        let span = stripWidth
        let tiles = rows * tileColumns
        let positionStride = inChannels * tiles
        let transformed = strip + 6 * span
        let columnSource = (0..<span).map { source($0 - 1, size: width) }
        let interiorEnd = min(span, width + 1)
        for c in channels {
            let channel = image + c * plane
            for tileRow in 0..<rows {
                let top = 4 * (firstTileRow + tileRow) - 1
                // The six padded input rows of this tile row.
                for r in 0..<6 {
                    let line = strip + r * span
                    guard let iy = source(top + r, size: height) else {
                        line.update(repeating: 0, count: span)
                        continue
                    }
                    let row = channel + iy * width
                    line[0] = columnSource[0].map { row[$0] } ?? 0
                    if interiorEnd > 1 { (line + 1).update(from: row, count: interiorEnd - 1) }
                    for x in interiorEnd..<span { line[x] = columnSource[x].map { row[$0] } ?? 0 }
                }
                // Bᵀ down the rows, every column at once.
                let (s0, s1, s2, s3, s4, s5) = (strip, strip + span, strip + 2 * span,
                                                strip + 3 * span, strip + 4 * span,
                                                strip + 5 * span)
                let (e0, e1, e2, e3, e4, e5) = (transformed, transformed + span,
                                                transformed + 2 * span, transformed + 3 * span,
                                                transformed + 4 * span, transformed + 5 * span)
                for x in 0..<span {
                    let e = Winograd.inputColumn(s0[x], s1[x], s2[x], s3[x], s4[x], s5[x])
                    (e0[x], e1[x], e2[x], e3[x], e4[x], e5[x]) = (e.0, e.1, e.2, e.3, e.4, e.5)
                }
                // Bᵀ along each tile's six columns.
                let firstTile = tileRow * tileColumns
                for rho in 0..<6 {
                    let e = transformed + rho * span
                    let out = v + (rho * 6) * positionStride + c * tiles + firstTile
                    for tx in 0..<tileColumns {
                        let p = e + 4 * tx
                        let t = Winograd.inputColumn(p[0], p[1], p[2], p[3], p[4], p[5])
                        out[tx] = t.0
                        out[positionStride + tx] = t.1
                        out[2 * positionStride + tx] = t.2
                        out[3 * positionStride + tx] = t.3
                        out[4 * positionStride + tx] = t.4
                        out[5 * positionStride + tx] = t.5
                    }
                }
            }
        }
    }

    /// Turns the products `m` (`[36, out, rows * tileColumns]`) of output channels `channels`
    /// back into pixels of `output` (`[out, H, W]`) for tile rows
    /// `firstTileRow..<firstTileRow + rows`, adding `bias` and clamping when `relu` is set.
    /// `scratch` holds `24 * tileColumns` floats.
    func transformOutput(_ m: UnsafePointer<Float>, channels: Range<Int>, firstTileRow: Int,
                         rows: Int, bias: UnsafePointer<Float>?, relu: Bool,
                         into output: UnsafeMutablePointer<Float>,
                         scratch: UnsafeMutablePointer<Float>) {
        let tiles = rows * tileColumns
        let positionStride = outChannels * tiles
        let columns = tileColumns
        for k in channels {
            let value = bias?[k] ?? 0
            let target = output + k * plane
            for tileRow in 0..<rows {
                let first = m + k * tiles + tileRow * columns
                // q[i][σ] = Σ_ρ Aᵀ[i][ρ] m[ρ][σ], every tile of the row at once.
                for sigma in 0..<6 {
                    let r0 = first + sigma * positionStride
                    let (r1, r2, r3) = (r0 + 6 * positionStride, r0 + 12 * positionStride,
                                        r0 + 18 * positionStride)
                    let (r4, r5) = (r0 + 24 * positionStride, r0 + 30 * positionStride)
                    let q = scratch + sigma * 4 * columns
                    let (q1, q2, q3) = (q + columns, q + 2 * columns, q + 3 * columns)
                    for tx in 0..<columns {
                        let y = Winograd.outputLine(r0[tx], r1[tx], r2[tx], r3[tx], r4[tx],
                                                    r5[tx])
                        (q[tx], q1[tx], q2[tx], q3[tx]) = (y.0, y.1, y.2, y.3)
                    }
                }
                // y[i][j] = Σ_σ q[i][σ] Aᵀ[j][σ], written with bias and ReLU.
                let top = 4 * (firstTileRow + tileRow)
                let outputRows = min(4, height - top)
                for i in 0..<outputRows {
                    let line = target + (top + i) * width
                    let qi = scratch + i * columns
                    let step = 4 * columns
                    for tx in 0..<columns {
                        var y = Winograd.outputLine(qi[tx], qi[step + tx], qi[2 * step + tx],
                                                    qi[3 * step + tx], qi[4 * step + tx],
                                                    qi[5 * step + tx])
                        y = (y.0 + value, y.1 + value, y.2 + value, y.3 + value)
                        if relu { y = (max(y.0, 0), max(y.1, 0), max(y.2, 0), max(y.3, 0)) }
                        let x = 4 * tx
                        if x + 4 <= width {
                            (line[x], line[x + 1], line[x + 2], line[x + 3]) = y
                        } else {
                            let values = [y.0, y.1, y.2, y.3]
                            for j in 0..<(width - x) { line[x + j] = values[j] }
                        }
                    }
                }
            }
        }
    }
}
