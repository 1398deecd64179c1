import Foundation
import FaceletTensor
import Testing
@testable import FaceletTraining

@Suite struct PseudoTargetTests {
    private let layout = FeatureLayout(levels: [
        .init(name: "a", channels: 2, height: 3, width: 3),
        .init(name: "b", channels: 3, height: 1, width: 2),
    ])

    /// Plain Eq. 6: sort all samples by descriptor distance, average the first K records.
    private func bruteForce(x: [[Float]], y: [[Float]], k: Int) -> [[Double]] {
        func descriptor(_ r: [Float]) -> [Double] {
            var out: [Double] = []
            var offset = 0
            for level in layout.levels {
                let plane = level.height * level.width
                for c in 0 ..< level.channels {
                    let values = r[offset + c * plane ..< offset + (c + 1) * plane]
                    out.append(values.reduce(0.0) { $0 + Double($1) } / Double(plane))
                }
                offset += level.elementCount
            }
            return out
        }
        func meanOfNearest(_ q: [Double], _ pool: [[Float]], _ k: Int) -> [Double] {
            let ranked = pool.indices.map { j -> (Double, Int) in
                let d = zip(q, descriptor(pool[j])).reduce(0.0) {
                    $0 + ($1.0 - $1.1) * ($1.0 - $1.1)
                }
                return (d, j)
            }.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            var mean = [Double](repeating: 0, count: pool[0].count)
            for (_, j) in ranked.prefix(k) {
                for i in mean.indices { mean[i] += Double(pool[j][i]) / Double(k) }
            }
            return mean
        }
        return x.map { record in
            let q = descriptor(record)
            let inY = meanOfNearest(q, y, min(k, y.count))
            let inX = meanOfNearest(q, x, min(k, x.count))
            return zip(inY, inX).map { $0 - $1 }
        }
    }

    private func records(_ store: FeatureStore) throws -> [[Float]] {
        try (0 ..< store.count).map { try store.record($0) }
    }

    @Test(arguments: [1, 3, 7])
    func matchesBruteForce(k: Int) throws {
        let x = try randomStore(layout: layout, count: 9, seed: 1)
        let y = try randomStore(layout: layout, count: 11, seed: 2, offset: 0.5)
        // A tiny memory budget forces several blocks of queries.
        let outcome = try PseudoTargets.compute(source: x, target: y, k: k,
                                                memoryBudget: layout.recordCount * 4 * 2)
        let expected = bruteForce(x: try records(x), y: try records(y), k: k)
        #expect(outcome.targets.count == 9)
        #expect(outcome.kTarget == k && outcome.kSource == k && outcome.warnings.isEmpty)
        for (i, row) in try records(outcome.targets).enumerated() {
            for j in row.indices { #expect(abs(Double(row[j]) - expected[i][j]) < 1e-5) }
        }
    }

    @Test func kLargerThanTheSetsFallsBackToTheSetSizeWithAWarning() throws {
        let x = try randomStore(layout: layout, count: 4, seed: 3)
        let y = try randomStore(layout: layout, count: 6, seed: 4)
        let outcome = try PseudoTargets.compute(source: x, target: y, k: 100)
        #expect(outcome.kTarget == 6 && outcome.kSource == 4)
        #expect(outcome.warnings.count == 2)
        #expect(outcome.warnings[0].contains("K = 100") && outcome.warnings[0].contains("6"))
        // With K = the whole set, Δv* is the same for every x: mean ψ(Y) − mean ψ(X).
        let expected = bruteForce(x: try records(x), y: try records(y), k: 100)
        let first = try outcome.targets.record(0)
        for j in first.indices { #expect(abs(Double(first[j]) - expected[0][j]) < 1e-5) }
        for i in 1 ..< 4 { #expect(try outcome.targets.record(i) == first) }
    }

    @Test func nearestBreaksTiesByIndex() {
        let pool: [[Float]] = [[1, 0], [0, 1], [1, 0], [5, 5]]
        #expect(PseudoTargets.nearest([1, 0], in: pool, k: 3) == [0, 2, 1])
    }

    @Test func storeDescriptorsAreChannelMeans() throws {
        let store = try FeatureStore(layout: layout)
        let record = (0 ..< layout.recordCount).map(Float.init)
        try store.append(record: record)
        // Level a: channel 0 = mean(0..8) = 4, channel 1 = mean(9..17) = 13;
        // level b starts at 18: channels (18, 19), (20, 21), (22, 23).
        #expect(store.descriptors[0] == [4, 13, 18.5, 20.5, 22.5])
        #expect(try store.record(0) == record)
    }
}

@Suite struct NeighbourGridTests {
    private let layout = FeatureLayout(levels: [
        .init(name: "a", channels: 2, height: 4, width: 5),
        .init(name: "b", channels: 1, height: 2, width: 2),
    ])

    /// The grid key written out with plain loops: per level, per channel, the mean over each
    /// cell of a `g × g` split (at most the level's size; cell a covers rows
    /// a·h/g ..< (a+1)·h/g, integer division), rows of cells then columns.
    private func plainKey(_ record: [Float], grid: Int) -> [Double] {
        var key: [Double] = []
        var offset = 0
        for level in layout.levels {
            let rows = min(grid, level.height), columns = min(grid, level.width)
            for c in 0 ..< level.channels {
                for a in 0 ..< rows {
                    for b in 0 ..< columns {
                        var values: [Double] = []
                        let ys = a * level.height / rows ..< (a + 1) * level.height / rows
                        let xs = b * level.width / columns ..< (b + 1) * level.width / columns
                        for y in 0 ..< level.height where ys.contains(y) {
                            for x in 0 ..< level.width where xs.contains(x) {
                                values.append(Double(record[offset + (c * level.height + y)
                                                                * level.width + x]))
                            }
                        }
                        key.append(values.reduce(0, +) / Double(values.count))
                    }
                }
            }
            offset += level.elementCount
        }
        return key
    }

    @Test(arguments: [2, 3, 8])
    func gridKeysAreCellMeans(grid: Int) throws {
        let store = try FeatureStore(layout: layout, neighbourGrid: grid)
        var rng = TrainingRandom(seed: 5)
        let record = (0 ..< layout.recordCount).map { _ in rng.nextGaussian() }
        try store.append(record: record)
        let expected = plainKey(record, grid: grid)
        #expect(store.neighbourKeys[0].count == expected.count)
        for (got, want) in zip(store.neighbourKeys[0], expected) {
            #expect(abs(Double(got) - want) < 1e-6)
        }
        #expect(try store.record(0) == record)
    }

    @Test func gridOfOneKeysOnTheDescriptors() throws {
        let store = try FeatureStore(layout: layout, neighbourGrid: 1)
        try store.append(record: (0 ..< layout.recordCount).map(Float.init))
        #expect(store.neighbourKeys == store.descriptors)
    }

    @Test func pseudoTargetsUseTheGridKeys() throws {
        // Two samples with the same channel means but mirrored layouts: only a grid key tells
        // them apart, so with K = 1 each x must find its own layout among Y.
        let flat = FeatureLayout(levels: [.init(name: "a", channels: 1, height: 1, width: 2)])
        let x = try FeatureStore(layout: flat, neighbourGrid: 2)
        try x.append(record: [0, 4])
        let y = try FeatureStore(layout: flat, neighbourGrid: 2)
        try y.append(record: [5, 1])    // like x's layout mirrored, plus 1
        try y.append(record: [1, 5])    // x's layout, plus 1
        let outcome = try PseudoTargets.compute(source: x, target: y, k: 1)
        #expect(try outcome.targets.record(0) == [1, 1])

        let xMeans = try FeatureStore(layout: flat)
        try xMeans.append(record: [0, 4])
        let yMeans = try FeatureStore(layout: flat)
        try yMeans.append(record: [5, 1])
        try yMeans.append(record: [1, 5])
        // On channel means both Y samples tie (mean 3); the lower index wins.
        #expect(try PseudoTargets.compute(source: xMeans, target: yMeans, k: 1)
            .targets.record(0) == [5, -3])
    }

    @Test(arguments: [0, 65])
    func configurationRejectsAGridOutOfRange(grid: Int) {
        let configuration = BankTrainingConfiguration(neighbourGrid: grid)
        #expect(throws: TrainingError.self) { try configuration.validate() }
    }

    @Test func featureFileLeavesNothingOnDiskEvenWhileInUse() throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("feature-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try FeatureStore(layout: layout, directory: folder)
        let records = (0 ..< 3).map { r in (0 ..< layout.recordCount).map { Float(r * 100 + $0) } }
        for record in records { try store.append(record: record) }
        // Unlinked at creation: an interrupted run cannot leave it behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
        for (i, record) in records.enumerated() { #expect(try store.record(i) == record) }
    }

    @Test(arguments: [16, 256])
    func configurationAcceptsCropsUpToTheWorkingSize(side: Int) throws {
        try BankTrainingConfiguration(crop: CropOptions(size: side)).validate()
    }

    @Test func configurationRefusesCropsLargerThanTheWorkingSize() {
        let error = #expect(throws: TrainingError.self) {
            try BankTrainingConfiguration(crop: CropOptions(size: 272)).validate()
        }
        #expect(error?.message.contains("256") == true)
    }
}
