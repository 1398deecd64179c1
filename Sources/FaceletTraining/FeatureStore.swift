import FaceletModel
import FaceletTensor
import Foundation

/// The shape of one sample's features: each level's name, channels, height and width.
public struct FeatureLayout: Sendable, Equatable, Codable {
    /// One level of the layout.
    public struct Level: Sendable, Equatable, Codable {
        /// The level's name (`relu3_1`, …).
        public var name: String
        /// Channels C.
        public var channels: Int
        /// Height h of the feature map.
        public var height: Int
        /// Width w of the feature map.
        public var width: Int

        /// Elements of one sample at this level, `C·h·w`.
        public var elementCount: Int { channels * height * width }
    }

    /// The levels, in the backbone's order.
    public var levels: [Level]

    /// Makes a layout.
    public init(levels: [Level]) {
        precondition(!levels.isEmpty, "A feature layout has at least one level")
        self.levels = levels
    }

    /// Elements of one sample over all levels.
    public var recordCount: Int { levels.reduce(0) { $0 + $1.elementCount } }

    /// Length of a sample's descriptor: the total channel count.
    public var descriptorCount: Int { levels.reduce(0) { $0 + $1.channels } }

    /// Where level number `index` starts in a record.
    public func offset(ofLevel index: Int) -> Int {
        levels[..<index].reduce(0) { $0 + $1.elementCount }
    }
}

/// Per-sample features ψ kept in a temporary file, one float32 record per sample, so that a
/// set of features never has to be held in memory at once.
///
/// Memory held: the compact descriptors (each level's per-channel spatial mean, concatenated:
/// `count × ΣC` floats), the neighbour keys when `neighbourGrid` > 1 (`count × ΣC·g²`
/// floats) and per-level running sums; records are read back on demand, a
/// mini-batch at a time. Disk: `count × Σ C·h·w × 4` bytes in a file unlinked as soon as it
/// is open, freed when the store is released or the process ends, however it ends.
/// Records are little-endian float32 in NCHW order per level (C, then h, then w).
public final class FeatureStore {
    /// The features' shape.
    public let layout: FeatureLayout
    /// The number of samples stored.
    public private(set) var count: Int = 0
    /// Each sample's descriptor (see the type's discussion), in sample order.
    public private(set) var descriptors: [[Float]] = []
    /// Per level, the sum of squares of every element stored (for scale normalisation).
    public private(set) var sumOfSquares: [Double]
    /// The side g of the grid that neighbour keys pool each level to (1: the descriptors).
    public let neighbourGrid: Int
    /// What nearest neighbours are found on, one key per sample: for `neighbourGrid` 1 the
    /// descriptors; for g > 1 each level's channels average-pooled over a g × g grid of cells
    /// (fewer when the level is smaller), so neighbours must also match *where* features lie.
    public var neighbourKeys: [[Float]] { neighbourGrid == 1 ? descriptors : gridKeys }
    private var gridKeys: [[Float]] = []
    /// Where the file holding the records was created (it is unlinked as soon as it is open:
    /// the path names it in error messages only).
    public let fileURL: URL

    private let handle: FileHandle

    /// Makes an empty store backed by a new file in `directory` (the system's temporary folder
    /// when nil).
    ///
    /// - Throws: `TrainingError` `io` when the file cannot be created.
    public init(layout: FeatureLayout, neighbourGrid: Int = 1,
                directory: URL? = nil) throws(TrainingError) {
        precondition(neighbourGrid >= 1, "The neighbour grid has at least one cell")
        self.layout = layout
        self.neighbourGrid = neighbourGrid
        self.sumOfSquares = [Double](repeating: 0, count: layout.levels.count)
        let folder = directory ?? FileManager.default.temporaryDirectory
        let url = folder.appendingPathComponent("facelet-features-\(UUID().uuidString).f32")
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
              let handle = try? FileHandle(forUpdating: url) else {
            throw TrainingError(.io, "Cannot create a feature file; check that the folder "
                                    + "exists and is writable", path: url.path)
        }
        // The file is unlinked at once and used through the open handle only, so it leaves
        // nothing behind however the process ends (SIGINT, SIGTERM, kill -9); the kernel frees
        // its blocks when the handle is closed.
        try? FileManager.default.removeItem(at: url)
        self.fileURL = url
        self.handle = handle
    }

    deinit {
        try? handle.close()
    }

    /// Bytes of one record.
    public var recordBytes: Int { layout.recordCount * MemoryLayout<Float>.size }

    /// Appends one record (`layout.recordCount` floats, levels back to back).
    public func append(record: [Float]) throws(TrainingError) {
        precondition(record.count == layout.recordCount,
                     "A record has \(layout.recordCount) floats, got \(record.count)")
        var descriptor: [Float] = []
        descriptor.reserveCapacity(layout.descriptorCount)
        var offset = 0
        for (index, level) in layout.levels.enumerated() {
            let plane = level.height * level.width
            var squares = 0.0
            for c in 0 ..< level.channels {
                var sum = 0.0
                let start = offset + c * plane
                for i in start ..< start + plane {
                    let value = Double(record[i])
                    sum += value
                    squares += value * value
                }
                descriptor.append(Float(sum / Double(max(plane, 1))))
            }
            sumOfSquares[index] += squares
            offset += level.elementCount
        }
        let data = record.withUnsafeBufferPointer { Data(buffer: $0) }
        do {
            try handle.seek(toOffset: UInt64(count) * UInt64(recordBytes))
            try handle.write(contentsOf: data)
        } catch {
            throw TrainingError(.io, "Cannot write the feature file (disk full?): \(error)",
                                path: fileURL.path)
        }
        descriptors.append(descriptor)
        if neighbourGrid > 1 { gridKeys.append(gridKey(record)) }
        count += 1
    }

    /// The record's levels average-pooled per channel over `neighbourGrid`² cells.
    private func gridKey(_ record: [Float]) -> [Float] {
        var key: [Float] = []
        var offset = 0
        for level in layout.levels {
            let rows = min(neighbourGrid, level.height)
            let columns = min(neighbourGrid, level.width)
            for c in 0 ..< level.channels {
                let base = offset + c * level.height * level.width
                for a in 0 ..< rows {
                    let (top, bottom) = (a * level.height / rows, (a + 1) * level.height / rows)
                    for b in 0 ..< columns {
                        let (left, right) = (b * level.width / columns,
                                             (b + 1) * level.width / columns)
                        var sum = 0.0
                        for y in top ..< bottom {
                            for x in left ..< right {
                                sum += Double(record[base + y * level.width + x])
                            }
                        }
                        key.append(Float(sum / Double((bottom - top) * (right - left))))
                    }
                }
            }
            offset += level.elementCount
        }
        return key
    }

    /// Appends every sample of a batch of features `[N, C, h, w]` per level.
    public func append(_ features: FeatureSet) throws(TrainingError) {
        let tensors = try layout.levels.map { level throws(TrainingError) -> Tensor in
            guard let tensor = features[level.name] else {
                throw TrainingError(.backboneMismatch, "The features lack level \(level.name)")
            }
            precondition(tensor.shape.count == 4 && Array(tensor.shape[1...])
                            == [level.channels, level.height, level.width],
                         "Level \(level.name) has shape \(tensor.shape), expected "
                            + "[N, \(level.channels), \(level.height), \(level.width)]")
            return tensor
        }
        let batch = tensors[0].shape[0]
        for n in 0 ..< batch {
            var record: [Float] = []
            record.reserveCapacity(layout.recordCount)
            for (tensor, level) in zip(tensors, layout.levels) {
                let size = level.elementCount
                record.append(contentsOf: tensor.data[n * size ..< (n + 1) * size])
            }
            try append(record: record)
        }
    }

    /// Record number `index`.
    public func record(_ index: Int) throws(TrainingError) -> [Float] {
        precondition(index >= 0 && index < count, "Record \(index) outside 0..<\(count)")
        let data: Data?
        do {
            try handle.seek(toOffset: UInt64(index) * UInt64(recordBytes))
            data = try handle.read(upToCount: recordBytes)
        } catch {
            throw TrainingError(.io, "Cannot read the feature file: \(error)",
                                path: fileURL.path)
        }
        guard let data, data.count == recordBytes else {
            throw TrainingError(.io, "The feature file is shorter than expected",
                                path: fileURL.path)
        }
        return data.withUnsafeBytes { raw in Array(raw.bindMemory(to: Float.self)) }
    }

    /// The records `indices` as one NCHW tensor per level, batch in the order given.
    public func batch(_ indices: [Int]) throws(TrainingError) -> [Tensor] {
        var levels = layout.levels.map { level in
            [Float](repeating: 0, count: indices.count * level.elementCount)
        }
        for (n, index) in indices.enumerated() {
            let record = try record(index)
            var offset = 0
            for (l, level) in layout.levels.enumerated() {
                let size = level.elementCount
                levels[l].replaceSubrange(n * size ..< (n + 1) * size,
                                          with: record[offset ..< offset + size])
                offset += size
            }
        }
        return zip(layout.levels, levels).map { level, data in
            Tensor(shape: [indices.count, level.channels, level.height, level.width],
                   data: data)
        }
    }

    /// The root mean square of every element of level number `index`, or 1 when empty or 0.
    public func rootMeanSquare(level index: Int) -> Float {
        let elements = Double(count * layout.levels[index].elementCount)
        guard elements > 0 else { return 1 }
        let rms = (sumOfSquares[index] / elements).squareRoot()
        return rms > 0 && rms.isFinite ? Float(rms) : 1
    }

    /// The mean descriptor over the stored samples (per level, the mean per-channel value).
    public func meanDescriptor() -> [Float] {
        var sum = [Double](repeating: 0, count: layout.descriptorCount)
        for descriptor in descriptors {
            for i in descriptor.indices { sum[i] += Double(descriptor[i]) }
        }
        return sum.map { Float($0 / Double(max(count, 1))) }
    }
}
