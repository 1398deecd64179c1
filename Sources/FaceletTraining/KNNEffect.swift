import FaceletModel
import FaceletTensor

/// The kNN baseline: Δv*(x) of Eq. 6 applied directly, computed at edit time from the two
/// sets' stored features (so it cannot be shipped as a bank; the benchmark applies it
/// directly).
///
/// For a photo's features ψ(x), its neighbour key's K nearest neighbours are found in Y and in
/// X, and Δv = mean ψ over the Y neighbours − mean ψ over the X neighbours, full maps. The
/// photo must have the training samples' feature size (the training crop size).
public struct KNNEffect {
    /// ψ of the source set X.
    public let source: FeatureStore
    /// ψ of the target set Y.
    public let target: FeatureStore
    /// The requested K (each set uses at most its size).
    public let k: Int

    /// Makes the effect from the two sets' features.
    public init(source: FeatureStore, target: FeatureStore, k: Int) {
        precondition(source.layout == target.layout, "X and Y have different layouts")
        precondition(k > 0 && source.count > 0 && target.count > 0, "Empty sets or K")
        self.source = source
        self.target = target
        self.k = k
    }

    /// Δv for one photo's features (batch of one), per level of the layout.
    ///
    /// - Throws: `TrainingError` `invalid-option` when the features' size differs from the
    ///   training samples'.
    public func delta(_ features: FeatureSet) throws(TrainingError) -> FeatureSet {
        let layout = source.layout
        var record: [Float] = []
        for level in layout.levels {
            guard let tensor = features[level.name],
                  tensor.shape == [1, level.channels, level.height, level.width] else {
                throw TrainingError(.invalidOption, "The kNN baseline works at the training "
                    + "sample size only; level \(level.name) should be "
                    + "[1, \(level.channels), \(level.height), \(level.width)]")
            }
            record.append(contentsOf: tensor.data)
        }
        let probe = try FeatureStore(layout: layout, neighbourGrid: source.neighbourGrid)
        try probe.append(record: record)
        let descriptor = probe.neighbourKeys[0]
        let kY = min(k, target.count)
        let kX = min(k, source.count)
        var sum = [Float](repeating: 0, count: layout.recordCount)
        for j in PseudoTargets.nearest(descriptor, in: target.neighbourKeys, k: kY) {
            let row = try target.record(j)
            for i in sum.indices { sum[i] += row[i] / Float(kY) }
        }
        for j in PseudoTargets.nearest(descriptor, in: source.neighbourKeys, k: kX) {
            let row = try source.record(j)
            for i in sum.indices { sum[i] -= row[i] / Float(kX) }
        }
        var out = FeatureSet()
        var offset = 0
        for level in layout.levels {
            out[level.name] = Tensor(shape: [1, level.channels, level.height, level.width],
                                     data: Array(sum[offset ..< offset + level.elementCount]))
            offset += level.elementCount
        }
        return out
    }
}
