import FaceletImaging
import FaceletModel
import FaceletPackage
import FaceletTensor
import Foundation
import Testing

@Suite("HeatMap (Eq. 8)")
struct HeatMapTests {
    @Test("each level is Σ_k Δv² of the session's Δv, computed plainly")
    func levelMapsAreSumsOfSquares() throws {
        let (_, backbone) = try randomBackbone(.vgg19(width: 1 / 16.0))
        let bank = try FaceletBank(
            package: RandomWeights.bank(for: backbone, seed: 9, scale: 1).package,
            backbone: backbone)
        let session = try Editor(backbone: backbone).prepare(testPhoto(width: 27, height: 35),
                                                             bank: bank)
        let heat = HeatMap(session: session)
        #expect(heat.levels.map(\.name) == ["relu3_1", "relu4_1", "relu5_1"])

        for level in heat.levels {
            let delta = try #require(session.delta[level.name])
            #expect(level.width == delta.w && level.height == delta.h)
            var plain = [Float](repeating: 0, count: delta.h * delta.w)
            for k in 0..<delta.c {
                for y in 0..<delta.h {
                    for x in 0..<delta.w {
                        let value = delta[0, k, y, x]
                        plain[y * delta.w + x] += value * value
                    }
                }
            }
            #expect(close(level.values, plain, relative: 1e-6))
            #expect(plain.contains { $0 > 0 })
        }
        #expect(HeatMap(session: session, levels: ["relu4_1"]).levels.map(\.name)
                    == ["relu4_1"])
        #expect(heat.combined.count == 27 * 35)
        #expect(heat.combined.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test("statistics and the combined map of a hand-made Δv")
    func statisticsOfKnownMap() throws {
        // One level, stride 4, a 4x4 grid over a 16x16 padded photo of 14x12 (left 1, top 2).
        var change = Tensor(zeros: [1, 2, 4, 4])
        change[0, 0, 1, 2] = 3  // cell (row 1, column 2): 9 + 16 = 25
        change[0, 1, 1, 2] = 4
        change[0, 0, 3, 0] = 1  // cell (row 3, column 0): 1
        let padding = try InputPadding(width: 14, height: 12, multiple: 16, mode: .reflect)
        #expect(padding.left == 1 && padding.top == 2)
        let heat = HeatMap(delta: FeatureSet([("relu3_1", change)]), padding: padding,
                           strides: ["relu3_1": 4])

        let stats = try #require(heat.statistics().first)
        #expect(stats.level == "relu3_1" && stats.width == 4 && stats.height == 4)
        #expect(stats.totalMass == 26)
        #expect(stats.max == 25)
        #expect(stats.mean == 26.0 / 16)
        // ⌈16 / 10⌉ = 2 top cells hold all the mass.
        #expect(stats.topDecileShare == 1)
        // Cell centres in photo pixels: column c -> (c + 0.5) * 4 - 1, row r -> (r + 0.5) * 4 - 2.
        let expectedX = (25 * 9.0 + 1 * 1.0) / 26
        let expectedY = (25 * 4.0 + 1 * 12.0) / 26
        #expect(abs((stats.centroidX ?? .nan) - expectedX) < 1e-9)
        #expect(abs((stats.centroidY ?? .nan) - expectedY) < 1e-9)

        // One level: the combined map is that level resized and divided by its maximum.
        #expect(abs((heat.combined.max() ?? 0) - 1) < 1e-6)
        let encoded = try JSONEncoder().encode(stats)
        #expect(try JSONDecoder().decode(HeatMapStatistics.self, from: encoded) == stats)
    }

    @Test("an all-zero Δv gives zero statistics, no centroid and a zero combined map")
    func zeroDelta() throws {
        let padding = try InputPadding(width: 16, height: 16, multiple: 16, mode: .reflect)
        let heat = HeatMap(delta: FeatureSet([("relu3_1", Tensor(zeros: [1, 3, 4, 4]))]),
                           padding: padding, strides: ["relu3_1": 4])
        let stats = try #require(heat.statistics().first)
        #expect(stats.totalMass == 0 && stats.topDecileShare == 0 && stats.centroidX == nil)
        #expect(heat.combined.allSatisfy { $0 == 0 })
    }

    @Test("overlays are PNGs of the photo's size for every level and the combination")
    func overlaysArePNGs() throws {
        let (_, backbone) = try randomBackbone(.vgg19(width: 1 / 16.0))
        let bank = try FaceletBank(
            package: RandomWeights.bank(for: backbone, levels: ["relu4_1"], seed: 9,
                                        scale: 1).package,
            backbone: backbone)
        let photo = testPhoto(width: 19, height: 13)
        let heat = HeatMap(session: try Editor(backbone: backbone).prepare(photo, bank: bank))
        let files = try heat.overlayPNGs(on: photo)
        #expect(Set(files.keys) == ["relu4_1", "combined"])
        for data in files.values {
            let decoded = try ImageCodec.decode(data)
            #expect(decoded.width == 19 && decoded.height == 13)
        }
        #expect(heat.overlay(level: "relu4_1", on: photo) != photo)
    }
}
