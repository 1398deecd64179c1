import Foundation

/// The transforms of Winograd's minimal filtering algorithm F(4×4, 3×3) (Lavin and Gray,
/// "Fast Algorithms for Convolutional Neural Networks", 2016), interpolation points
/// 0, ±1, ±2, ∞.
///
/// A 4×4 output tile is `Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A`, where `g` is the 3×3 filter and `d` the
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
        let gFlat = g.flatMap { $0 }
        let (source, target) = (SharedConstFloats(base: weight), SharedFloats(base: u))
        let chunk = max(1, (1 << 16) / max(1, 36 * inChannels))
        Parallel.forEachRange(outChannels, minimumChunk: chunk) { outputs in
            // One output channel's 36 rows, gathered locally, then copied out contiguously.
            let local = UnsafeMutablePointer<Float>.allocate(capacity: 36 * inChannels)
            defer { local.deallocate() }
            var t = [Double](repeating: 0, count: 18)
            for o in outputs {
                for c in 0..<inChannels {
                    let filter = source.base + (o * inChannels + c) * 9
                    // t = G g: 6×3.
                    for i in 0..<6 {
                        for j in 0..<3 {
                            t[i * 3 + j] = gFlat[i * 3] * Double(filter[j])
                                + gFlat[i * 3 + 1] * Double(filter[3 + j])
                                + gFlat[i * 3 + 2] * Double(filter[6 + j])
                        }
                    }
                    // U = t Gᵀ: 6×6.
                    for i in 0..<6 {
                        for j in 0..<6 {
                            let sum = t[i * 3] * gFlat[j * 3] + t[i * 3 + 1] * gFlat[j * 3 + 1]
                                + t[i * 3 + 2] * gFlat[j * 3 + 2]
                            local[(i * 6 + j) * inChannels + c] = Float(sum)
                        }
                    }
                }
                for xi in 0..<36 {
                    (target.base + xi * pairStride + o * inChannels)
                        .update(from: local + xi * inChannels, count: inChannels)
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

    /// `inputColumn` on eight lanes at once.
    @inline(__always)
    static func inputColumn8(_ s0: SIMD8<Float>, _ s1: SIMD8<Float>, _ s2: SIMD8<Float>,
                             _ s3: SIMD8<Float>, _ s4: SIMD8<Float>, _ s5: SIMD8<Float>)
        -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>,
            SIMD8<Float>) {
        let a = s4 - 4 * s2
        let b = s3 - 4 * s1
        let c = s4 - s2
        let d = 2 * (s3 - s1)
        return (4 * s0 - 5 * s2 + s4, a + b, a - b, c + d, c - d, 4 * s1 - 5 * s3 + s5)
    }

    /// `outputLine` on four lanes at once.
    @inline(__always)
    static func outputLine4(_ m0: SIMD4<Float>, _ m1: SIMD4<Float>, _ m2: SIMD4<Float>,
                            _ m3: SIMD4<Float>, _ m4: SIMD4<Float>, _ m5: SIMD4<Float>)
        -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
        let plus12 = m1 + m2
        let minus12 = m1 - m2
        let plus34 = m3 + m4
        let minus34 = m3 - m4
        return (m0 + plus12 + plus34, minus12 + 2 * minus34, plus12 + 4 * plus34,
                minus12 + 8 * minus34 + m5)
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
    private(set) var blockRows: Int

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

    /// The same convolution over `parts` blocks (or as close as whole tile rows allow) of
    /// at most `blockRows` tile rows, so the block budget still holds: `parts` is rounded up
    /// to a multiple of `multiple` so that whole rounds of blocks fill the threads.
    func splitting(into parts: Int, multiple: Int) -> WinogradLayout {
        let blocks = (max(parts, (tileRows + blockRows - 1) / blockRows) + multiple - 1)
            / multiple * multiple
        var copy = self
        copy.blockRows = max(1, min(blockRows, (tileRows + blocks - 1) / blocks))
        return copy
    }

    /// The source index of padded coordinate `i` (from -1) of a line of `size` samples, or nil
    /// for a zero; beyond `size` (positions that only feed dropped outputs) is zero.
    @inline(__always)
    func source(_ i: Int, size: Int) -> Int? {
        if i > size { return nil }
        return padding.sourceIndex(i, size: size)
    }

    /// The entries of one phase of a deinterleaved strip row: `tileColumns + 1`.
    var lane: Int { tileColumns + 1 }
    /// The scratch floats `transformInput` needs: two sets of 6 rows × 4 phases × `lane`.
    var inputScratch: Int { 48 * lane }

    /// Transforms channels `channels` of `image` (`[in, H, W]`) over tile rows
    /// `firstTileRow..<firstTileRow + rows` into `v` (`[36, in, rows * tileColumns]`).
    /// `strip` holds `inputScratch` floats.
    ///
    /// Each padded input row is stored deinterleaved by column modulo 4 (phase `x % 4` at
    /// index `x / 4`), so the six columns of consecutive tiles are six contiguous runs and
    /// both passes of `Bᵀ` run over contiguous memory.
    func transformInput(_ image: UnsafePointer<Float>, channels: Range<Int>, firstTileRow: Int,
                        rows: Int, into v: UnsafeMutablePointer<Float>,
                        strip: UnsafeMutablePointer<Float>) {
        let lane = self.lane
        let rowFloats = 4 * lane
        let columns = tileColumns
        let tiles = rows * columns
        let positionStride = inChannels * tiles
        let transformed = strip + 6 * rowFloats
        let paddedWidth = stripWidth
        let interiorEnd = min(paddedWidth, width + 1)
        let leftSource = source(-1, size: width)
        let rightSources = (interiorEnd..<paddedWidth).map { source($0 - 1, size: width) }
        strip.update(repeating: 0, count: 6 * rowFloats)
        for c in channels {
            let channel = image + c * plane
            for tileRow in 0..<rows {
                let top = 4 * (firstTileRow + tileRow) - 1
                // The six padded input rows of this tile row, deinterleaved.
                for r in 0..<6 {
                    let line = strip + r * rowFloats
                    guard let iy = source(top + r, size: height) else {
                        line.update(repeating: 0, count: rowFloats)
                        continue
                    }
                    let row = channel + iy * width
                    line[0] = leftSource.map { row[$0] } ?? 0
                    // Image column s sits at padded x = s + 1: sixteen at a time, a 4×4
                    // transpose puts columns 4j..4j+3 into phases 1, 2, 3 (index j) and 0
                    // (index j + 1).
                    let groups = (interiorEnd - 1) / 16
                    let (phase0, phase1) = (line + 1, line + lane)
                    let (phase2, phase3) = (line + 2 * lane, line + 3 * lane)
                    for group in 0..<groups {
                        let base = row + 16 * group
                        let (a, b) = (load4(base), load4(base + 4))
                        let (c, d) = (load4(base + 8), load4(base + 12))
                        let j = 4 * group
                        store4(SIMD4(a[0], b[0], c[0], d[0]), phase1 + j)
                        store4(SIMD4(a[1], b[1], c[1], d[1]), phase2 + j)
                        store4(SIMD4(a[2], b[2], c[2], d[2]), phase3 + j)
                        store4(SIMD4(a[3], b[3], c[3], d[3]), phase0 + j)
                    }
                    for x in (1 + 16 * groups)..<interiorEnd {
                        line[(x & 3) * lane + (x >> 2)] = row[x - 1]
                    }
                    for (offset, sourceX) in rightSources.enumerated() {
                        let x = interiorEnd + offset
                        line[(x & 3) * lane + (x >> 2)] = sourceX.map { row[$0] } ?? 0
                    }
                }
                // Bᵀ down the rows, every column at once.
                let (s0, s1, s2) = (strip, strip + rowFloats, strip + 2 * rowFloats)
                let (s3, s4, s5) = (strip + 3 * rowFloats, strip + 4 * rowFloats,
                                    strip + 5 * rowFloats)
                let (e0, e1, e2) = (transformed, transformed + rowFloats,
                                    transformed + 2 * rowFloats)
                let (e3, e4, e5) = (transformed + 3 * rowFloats, transformed + 4 * rowFloats,
                                    transformed + 5 * rowFloats)
                for x in 0..<rowFloats {
                    let e = Winograd.inputColumn(s0[x], s1[x], s2[x], s3[x], s4[x], s5[x])
                    (e0[x], e1[x], e2[x], e3[x], e4[x], e5[x]) = (e.0, e.1, e.2, e.3, e.4, e.5)
                }
                // Bᵀ along each tile's six columns: phases 0-3 at tx, phases 0-1 at tx + 1.
                let firstTile = tileRow * columns
                for rho in 0..<6 {
                    let p0 = transformed + rho * rowFloats
                    let (p1, p2, p3) = (p0 + lane, p0 + 2 * lane, p0 + 3 * lane)
                    let (p4, p5) = (p0 + 1, p1 + 1)
                    let o0 = v + (rho * 6) * positionStride + c * tiles + firstTile
                    let (o1, o2, o3) = (o0 + positionStride, o0 + 2 * positionStride,
                                        o0 + 3 * positionStride)
                    let (o4, o5) = (o0 + 4 * positionStride, o0 + 5 * positionStride)
                    let vectorEnd = columns & ~7
                    for tx in stride(from: 0, to: vectorEnd, by: 8) {
                        let t = Winograd.inputColumn8(load8(p0 + tx), load8(p1 + tx),
                                                      load8(p2 + tx), load8(p3 + tx),
                                                      load8(p4 + tx), load8(p5 + tx))
                        store8(t.0, o0 + tx)
                        store8(t.1, o1 + tx)
                        store8(t.2, o2 + tx)
                        store8(t.3, o3 + tx)
                        store8(t.4, o4 + tx)
                        store8(t.5, o5 + tx)
                    }
                    for tx in vectorEnd..<columns {
                        let t = Winograd.inputColumn(p0[tx], p1[tx], p2[tx], p3[tx], p4[tx],
                                                     p5[tx])
                        (o0[tx], o1[tx], o2[tx], o3[tx], o4[tx], o5[tx])
                            = (t.0, t.1, t.2, t.3, t.4, t.5)
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
                let fullTiles = width / 4
                let floor: Float = relu ? 0 : -.infinity
                for i in 0..<outputRows {
                    let line = target + (top + i) * width
                    let q0 = scratch + i * columns
                    let step = 4 * columns
                    let (q1, q2, q3) = (q0 + step, q0 + 2 * step, q0 + 3 * step)
                    let (q4, q5) = (q0 + 4 * step, q0 + 5 * step)
                    let vectorEnd = fullTiles & ~3
                    let (bias4, floor4) = (SIMD4<Float>(repeating: value),
                                           SIMD4<Float>(repeating: floor))
                    for tx in stride(from: 0, to: vectorEnd, by: 4) {
                        let y = Winograd.outputLine4(load4(q0 + tx), load4(q1 + tx),
                                                     load4(q2 + tx), load4(q3 + tx),
                                                     load4(q4 + tx), load4(q5 + tx))
                        // A 4×4 transpose: lanes are tiles, outputs are their columns.
                        let x = line + 4 * tx
                        for lane in 0..<4 {
                            let pixels = SIMD4(y.0[lane], y.1[lane], y.2[lane], y.3[lane])
                            let biased = pixels + bias4
                            store4(biased.replacing(with: floor4, where: biased .< floor4),
                                   x + 4 * lane)
                        }
                    }
                    for tx in vectorEnd..<fullTiles {
                        let y = Winograd.outputLine(q0[tx], q1[tx], q2[tx], q3[tx], q4[tx],
                                                    q5[tx])
                        let x = 4 * tx
                        line[x] = max(y.0 + value, floor)
                        line[x + 1] = max(y.1 + value, floor)
                        line[x + 2] = max(y.2 + value, floor)
                        line[x + 3] = max(y.3 + value, floor)
                    }
                    guard fullTiles < columns else { continue }
                    let tx = fullTiles
                    let y = Winograd.outputLine(q0[tx], q1[tx], q2[tx], q3[tx], q4[tx], q5[tx])
                    let edge = (y.0, y.1, y.2, y.3)
                    // At most three columns remain past the last full tile.
                    for j in 0..<(width - 4 * tx) {
                        let y = j == 0 ? edge.0 : j == 1 ? edge.1 : edge.2
                        line[4 * tx + j] = max(y + value, floor)
                    }
                }
            }
        }
    }
}

@inline(__always)
func load4(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
}

@inline(__always)
func load4(_ p: UnsafeMutablePointer<Float>) -> SIMD4<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
}

@inline(__always)
func load8(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func store4(_ v: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Float>.self)
}

@inline(__always)
func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}
