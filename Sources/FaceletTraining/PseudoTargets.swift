import Foundation

/// The pseudo targets of Eq. 6: for each x in X,
/// Δv*(x) = mean ψ over the K nearest neighbours of x in Y − mean ψ over its K nearest in X.
///
/// Neighbours are found on the neighbour keys of `FeatureStore` (each level's per-channel
/// spatial mean, or its means over a g × g grid) by Euclidean distance, ties broken by the lower
/// index; x's neighbours in X include x itself. The means are then taken over the full
/// feature maps. When a set has fewer than K samples, K falls back to that set's size (a
/// warning says so).
public enum PseudoTargets {
    /// The result of computing the targets.
    public struct Outcome {
        /// Δv*(x) for each x, one record per sample of X, in X's order.
        public var targets: FeatureStore
        /// The K used among Y's samples.
        public var kTarget: Int
        /// The K used among X's samples.
        public var kSource: Int
        /// Warnings (K reduced to a set's size).
        public var warnings: [String]
    }

    /// The `k` nearest rows of `pool` to `query` (squared Euclidean distance, ties by index).
    public static func nearest(_ query: [Float], in pool: [[Float]], k: Int) -> [Int] {
        precondition(k > 0 && k <= pool.count, "k must lie in 1...\(pool.count)")
        let distances = pool.map { row -> Double in
            var sum = 0.0
            for i in row.indices {
                let d = Double(row[i]) - Double(query[i])
                sum += d * d
            }
            return sum
        }
        let order = distances.indices.sorted { a, b in
            distances[a] != distances[b] ? distances[a] < distances[b] : a < b
        }
        return Array(order.prefix(k))
    }

    /// The effective K for a set of `size` samples, and a warning when it is smaller than
    /// the requested `k`.
    public static func effectiveK(_ k: Int, size: Int, setName: String) -> (Int, String?) {
        if size >= k { return (k, nil) }
        return (size, "K = \(k) is larger than the \(setName) set (\(size) samples); "
                    + "using K = \(size)")
    }

    /// Δv*(x) for every x of `source`, written to a new store.
    ///
    /// Queries are processed in blocks whose accumulators fit `memoryBudget` bytes; each block
    /// reads X and Y once, sequentially. Memory is therefore at most about `memoryBudget` plus
    /// one record, whatever the sets' size.
    ///
    /// - Precondition: `k > 0`, both stores non-empty with the same layout.
    public static func compute(source: FeatureStore, target: FeatureStore, k: Int,
                               memoryBudget: Int = 256 << 20, directory: URL? = nil)
        throws(TrainingError) -> Outcome {
        precondition(k > 0, "K must be positive")
        precondition(source.count > 0 && target.count > 0, "Empty feature sets")
        precondition(source.layout == target.layout, "X and Y have different layouts")
        precondition(source.neighbourGrid == target.neighbourGrid, "X and Y key differently")
        var warnings: [String] = []
        let (keysX, keysY) = (source.neighbourKeys, target.neighbourKeys)
        let (kY, warnY) = effectiveK(k, size: target.count, setName: "target (Y)")
        let (kX, warnX) = effectiveK(k, size: source.count, setName: "source (X)")
        if let warnY { warnings.append(warnY) }
        if let warnX, warnX != warnY { warnings.append(warnX) }

        let out = try FeatureStore(layout: source.layout, directory: directory)
        let recordCount = source.layout.recordCount
        let blockSize = max(1, min(source.count, memoryBudget / max(1, recordCount * 4)))
        var blockStart = 0
        while blockStart < source.count {
            let block = Array(blockStart ..< min(source.count, blockStart + blockSize))
            var sums = [[Float]](repeating: [Float](repeating: 0, count: recordCount),
                                 count: block.count)
            let inY = block.map { nearest(keysX[$0], in: keysY, k: kY) }
            let inX = block.map { nearest(keysX[$0], in: keysX, k: kX) }
            try accumulate(from: target, neighbours: inY, weight: 1 / Float(kY), into: &sums)
            try accumulate(from: source, neighbours: inX, weight: -1 / Float(kX), into: &sums)
            for row in sums { try out.append(record: row) }
            blockStart += block.count
        }
        return Outcome(targets: out, kTarget: kY, kSource: kX, warnings: warnings)
    }

    /// Adds `weight · record(j)` to `sums[q]` for every neighbour j of query q, reading each
    /// needed record of `store` once, in order.
    private static func accumulate(from store: FeatureStore, neighbours: [[Int]],
                                   weight: Float, into sums: inout [[Float]])
        throws(TrainingError) {
        var users = [Int: [Int]]()
        for (q, list) in neighbours.enumerated() {
            for j in list { users[j, default: []].append(q) }
        }
        for j in users.keys.sorted() {
            let record = try store.record(j)
            for q in users[j] ?? [] {
                sums[q].withUnsafeMutableBufferPointer { sum in
                    for i in 0 ..< record.count { sum[i] += weight * record[i] }
                }
            }
        }
    }
}
