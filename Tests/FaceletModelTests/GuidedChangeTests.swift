import FaceletImaging
import FaceletPackage
import FaceletTensor
import Foundation
import Testing

@testable import FaceletModel

/// The guided change against a brute-force reference, and a bank that asks for it.
@Suite struct GuidedChangeTests {
    static func random(_ shape: [Int], seed: UInt64, scale: Double = 1) -> Tensor {
        var generator = SplitMix64(seed: seed)
        var tensor = Tensor(zeros: shape)
        for i in tensor.data.indices { tensor.data[i] = Float(scale * generator.nextUnit()) }
        return tensor
    }

    /// Solves the 3 × 3 system `a · x = b` by Gaussian elimination with partial pivoting.
    static func solve(_ a: [[Double]], _ b: [Double]) -> [Double] {
        var m = a.enumerated().map { $0.element + [b[$0.offset]] }
        for column in 0..<3 {
            let pivot = (column..<3).max { abs(m[$0][column]) < abs(m[$1][column]) }!
            m.swapAt(column, pivot)
            for row in 0..<3 where row != column {
                let factor = m[row][column] / m[column][column]
                for k in column..<4 { m[row][k] -= factor * m[column][k] }
            }
        }
        return (0..<3).map { m[$0][3] / m[$0][$0] }
    }

    /// The guided filter written window by window: every window's ridge fit of the change on
    /// the photo's colours, each pixel's coefficients averaged over the windows covering it.
    static func reference(change: Tensor, guide: Tensor, radius: Int, epsilon: Double) -> Tensor {
        let (h, w) = (guide.h, guide.w)
        func at(_ t: Tensor, _ c: Int, _ y: Int, _ x: Int) -> Double {
            Double(t.data[(c * h + y) * w + x])
        }
        func window(_ y: Int, _ x: Int) -> [(Int, Int)] {
            var pixels: [(Int, Int)] = []
            for v in max(0, y - radius)...min(h - 1, y + radius) {
                for u in max(0, x - radius)...min(w - 1, x + radius) { pixels.append((v, u)) }
            }
            return pixels
        }
        // fits[y][x] = (M as [output][input], β): the fit of the window centred at (y, x).
        var fits = [[([[Double]], [Double])]]()
        for y in 0..<h {
            var row: [([[Double]], [Double])] = []
            for x in 0..<w {
                let pixels = window(y, x)
                let count = Double(pixels.count)
                let meanGuide = (0..<3).map { c in pixels.reduce(0) { $0 + at(guide, c, $1.0, $1.1) } / count }
                let meanChange = (0..<3).map { c in pixels.reduce(0) { $0 + at(change, c, $1.0, $1.1) } / count }
                var sigma = [[Double]](repeating: [0, 0, 0], count: 3)
                for i in 0..<3 {
                    for j in 0..<3 {
                        sigma[i][j] = pixels.reduce(0) {
                            $0 + (at(guide, i, $1.0, $1.1) - meanGuide[i])
                                * (at(guide, j, $1.0, $1.1) - meanGuide[j])
                        } / count + (i == j ? epsilon : 0)
                    }
                }
                var m: [[Double]] = []
                var beta: [Double] = []
                for k in 0..<3 {
                    let covariance = (0..<3).map { i in
                        pixels.reduce(0) {
                            $0 + (at(guide, i, $1.0, $1.1) - meanGuide[i])
                                * (at(change, k, $1.0, $1.1) - meanChange[k])
                        } / count
                    }
                    let coefficients = solve(sigma, covariance)
                    m.append(coefficients)
                    beta.append(meanChange[k] - zip(coefficients, meanGuide).reduce(0) { $0 + $1.0 * $1.1 })
                }
                row.append((m, beta))
            }
            fits.append(row)
        }
        var out = Tensor(zeros: change.shape)
        for y in 0..<h {
            for x in 0..<w {
                let covering = window(y, x)
                for k in 0..<3 {
                    var value = 0.0
                    for (v, u) in covering {
                        let (m, beta) = fits[v][u]
                        value += beta[k] + (0..<3).reduce(0) { $0 + m[k][$1] * at(guide, $1, y, x) }
                    }
                    out.data[(k * h + y) * w + x] = Float(value / Double(covering.count))
                }
            }
        }
        return out
    }

    @Test(arguments: [(1, 0.001), (2, 0.01), (6, 0.0001)])
    func matchesTheWindowByWindowReference(radius: Int, epsilon: Double) {
        let guide = Self.random([1, 3, 9, 11], seed: 1)
        let change = Self.random([1, 3, 9, 11], seed: 2, scale: 0.2)
        let filtered = GuidedChange(radius: radius, epsilon: epsilon)(change, guide: guide)
        let expected = Self.reference(change: change, guide: guide, radius: radius,
                                      epsilon: epsilon)
        let worst = zip(filtered.data, expected.data).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-5, "largest difference \(worst)")
    }

    @Test func aChangeThatIsAnAffineFunctionOfColourIsKept() {
        // A colour grade's change, (G − I)·x + c, is what the fit can express exactly; only
        // the small ridge term pulls it towards the windows' mean change.
        let guide = Self.random([2, 3, 24, 20], seed: 3)
        let gain: [[Float]] = [[0.08, 0.05, 0], [0, -0.02, 0.04], [-0.06, 0, -0.15]]
        let offset: [Float] = [0.03, 0.01, -0.03]
        var change = Tensor(zeros: guide.shape)
        let plane = 24 * 20
        for n in 0..<2 {
            for k in 0..<3 {
                for p in 0..<plane {
                    var value = offset[k]
                    for i in 0..<3 { value += gain[k][i] * guide.data[(n * 3 + i) * plane + p] }
                    change.data[(n * 3 + k) * plane + p] = value
                }
            }
        }
        let filtered = GuidedChange(radius: 4, epsilon: 1e-6)(change, guide: guide)
        let worst = zip(filtered.data, change.data).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-4, "largest difference \(worst)")
    }

    /// A grey photo, half black and half white: its colours are collinear, so each window's
    /// covariance is singular but for the ridge term, and a constant change must stay constant.
    static func greyHalves() -> (guide: Tensor, change: Tensor, offset: [Float]) {
        let (height, width) = (12, 16)
        var guide = Tensor(zeros: [1, 3, height, width])
        for c in 0..<3 {
            for y in 0..<height {
                for x in width / 2..<width { guide.data[(c * height + y) * width + x] = 1 }
            }
        }
        let offset: [Float] = [0.12, -0.05, 0.03]
        var change = Tensor(zeros: guide.shape)
        for c in 0..<3 {
            for p in 0..<height * width { change.data[c * height * width + p] = offset[c] }
        }
        return (guide, change, offset)
    }

    @Test func theSmallestEpsilonKeepsAConstantChangeOnCollinearColours() {
        let (guide, change, _) = Self.greyHalves()
        let filtered = GuidedChange(radius: 3, epsilon: ChangeGuide.minimumEpsilon)(change,
                                                                                     guide: guide)
        let worst = zip(filtered.data, change.data).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-3, "largest difference \(worst)")
    }

    @Test func aWindowWhoseFitOverflowsKeepsItsMeanChange() {
        // Below the manifest's smallest epsilon (only reachable through this type directly)
        // the fit of these windows overflows; each keeps its mean change instead of writing
        // infinities that would clamp to black.
        let (guide, change, _) = Self.greyHalves()
        let filtered = GuidedChange(radius: 3, epsilon: 1e-300)(change, guide: guide)
        #expect(filtered.data.allSatisfy { $0.isFinite })
        let worst = zip(filtered.data, change.data).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-3, "largest difference \(worst)")
    }

    @Test func aZeroChangeStaysExactlyZero() {
        let guide = Self.random([1, 3, 8, 8], seed: 4)
        let filtered = GuidedChange(radius: 3, epsilon: 0.01)(Tensor(zeros: guide.shape),
                                                              guide: guide)
        #expect(filtered.data.allSatisfy { $0 == 0 })
    }

    static func guidedBank(for backbone: Backbone, guide: ChangeGuide) throws -> Package {
        let plain = try RandomWeights.bank(for: backbone, seed: 3, scale: 1).package
        var manifest = plain.manifest
        manifest.bank?.guide = guide
        return try PackageWriter.encode(manifest, tensors: plain.tensors).package
    }

    @Test func aGuidedBankRendersThePhotoPlusTheGuidedChange() throws {
        let (_, backbone) = try randomBackbone(.vgg19(width: 1 / 16.0, output: .difference))
        let guide = ChangeGuide(radius: 5, epsilon: 0.002)
        let guided = try FaceletBank(package: Self.guidedBank(for: backbone, guide: guide),
                                     backbone: backbone)
        let plain = try FaceletBank(
            package: RandomWeights.bank(for: backbone, seed: 3, scale: 1).package,
            backbone: backbone)
        #expect(guided.guide == GuidedChange(guide) && plain.guide == nil)

        let photo = testPhoto(width: 16, height: 16)
        let editor = Editor(backbone: backbone)
        let unguided = try editor.prepare(photo, bank: plain)
        let session = try editor.prepare(photo, bank: guided)
        // What the decoder adds, unclamped: x + std · (D(ψ + λΔv) − D(ψ)).
        let strength = 0.8
        let decoded = unguided.decodeEdited(strength: strength)
        let baseline = unguided.decodeEdited(strength: 0)
        let x = Tensor(shape: [1, 3, 16, 16], data: photo.pixels)
        var change = Ops.addScaled(decoded, baseline, scale: -1)
        for c in 0..<3 {
            for p in 0..<256 { change.data[c * 256 + p] *= Float(Architecture.imageNetStd[c]) }
        }
        let expected = Ops.add(x, Self.reference(change: change, guide: x, radius: 5,
                                                 epsilon: 0.002))
        let rendered = session.render(strength: strength)
        let worst = zip(rendered.pixels, expected.data).map { got, want in
            abs(got - min(1, max(0, want)))
        }.max() ?? .infinity
        #expect(worst < 1e-5, "largest difference \(worst)")
        #expect(rendered != unguided.render(strength: strength))
        #expect(session.render(strength: 0) == photo)
        // A hot swap keeps the guide of the bank swapped in.
        #expect(try unguided.applying(guided).render(strength: strength) == rendered)
    }

    @Test(arguments: [(0, 0.001), (1025, 0.001), (4, 0.0), (4, -1.0), (4, 2.0), (4, Double.nan),
                       (4, 1e-7), (4, 1e-20)])
    func aBankGuideOutsideItsRangesIsRefused(radius: Int, epsilon: Double) throws {
        var manifest = Manifest(kind: .bank, name: "warm", version: "1",
                                backbone: try Digest(parsing: String(repeating: "ab", count: 32)),
                                levels: ["relu3_1"],
                                bank: BankDescription(padding: [.zero, .zero, .zero]))
        manifest.bank?.guide = ChangeGuide(radius: radius, epsilon: epsilon)
        #expect {
            try manifest.validate()
        } throws: { error in
            (error as? PackageError)?.code == .badManifest
                && (error as? PackageError)?.message.contains("bank.guide") == true
        }
        manifest.bank?.guide = ChangeGuide(radius: 32, epsilon: 0.001)
        try manifest.validate()
        // A bank without a guide has no "guide" key: older banks keep their digests.
        manifest.bank?.guide = nil
        let json = String(decoding: manifest.canonicalJSON(), as: UTF8.self)
        #expect(!json.contains("guide"))
    }
}
