import FaceletImaging
import FaceletModel
import Foundation

/// The numbers `audit` prints and thumbnails store: per level the mean and largest cell of
/// H = Σ_k Δv², the level's share of the mass of all levels, the share of the level's mass in
/// its top 10 % of cells, and the mass-weighted centroid in photo pixels.
struct AuditStatistics: Equatable {
    /// One level's numbers.
    struct Level: Equatable {
        let name: String
        let width: Int
        let height: Int
        let stride: Int
        let mean: Double
        let max: Double
        let mass: Double
        let massShare: Double
        let topDecileShare: Double
        let centroidX: Double?
        let centroidY: Double?

        var json: JSONValue {
            var centroid = JSONValue.null
            if let centroidX, let centroidY {
                centroid = .array([.number(centroidX), .number(centroidY)])
            }
            return ["level": .string(name), "width": .integer(width),
                    "height": .integer(height), "stride": .integer(stride),
                    "mean": .number(mean), "max": .number(max), "mass": .number(mass),
                    "mass_share": .number(massShare), "top10_share": .number(topDecileShare),
                    "centroid": centroid]
        }

        /// Reads back what `json` wrote (thumbnail statistics in the store).
        init?(json: [String: Any]) {
            guard let name = json["level"] as? String,
                  let mean = (json["mean"] as? NSNumber)?.doubleValue,
                  let max = (json["max"] as? NSNumber)?.doubleValue else { return nil }
            self.name = name
            width = (json["width"] as? NSNumber)?.intValue ?? 0
            height = (json["height"] as? NSNumber)?.intValue ?? 0
            stride = (json["stride"] as? NSNumber)?.intValue ?? 0
            self.mean = mean
            self.max = max
            mass = (json["mass"] as? NSNumber)?.doubleValue ?? 0
            massShare = (json["mass_share"] as? NSNumber)?.doubleValue ?? 0
            topDecileShare = (json["top10_share"] as? NSNumber)?.doubleValue ?? 0
            let centroid = json["centroid"] as? [NSNumber]
            centroidX = centroid.flatMap { $0.count == 2 ? $0[0].doubleValue : nil }
            centroidY = centroid.flatMap { $0.count == 2 ? $0[1].doubleValue : nil }
        }

        init(_ statistics: HeatMapStatistics, totalMass: Double) {
            name = statistics.level
            width = statistics.width
            height = statistics.height
            stride = statistics.stride
            mean = statistics.mean
            max = statistics.max
            mass = statistics.totalMass
            massShare = totalMass > 0 ? statistics.totalMass / totalMass : 0
            topDecileShare = statistics.topDecileShare
            centroidX = statistics.centroidX
            centroidY = statistics.centroidY
        }
    }

    /// The levels in the backbone's order.
    let levels: [Level]

    init(heat: HeatMap) {
        let raw = heat.statistics()
        let total = raw.reduce(0) { $0 + $1.totalMass }
        levels = raw.map { Level($0, totalMass: total) }
    }

    init(levels: [Level]) {
        self.levels = levels
    }

    /// Parses the statistics stored with a `combined` thumbnail.
    init?(storedJSON text: String) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)),
              let root = object as? [String: Any],
              let list = root["levels"] as? [[String: Any]] else { return nil }
        let parsed = list.compactMap(Level.init(json:))
        guard parsed.count == list.count else { return nil }
        levels = parsed
    }

    /// One level's numbers.
    func level(_ name: String) -> Level? {
        levels.first { $0.name == name }
    }

    /// `{"levels": [...]}`.
    var json: JSONValue {
        ["levels": .array(levels.map(\.json))]
    }

    /// An aligned table of the numbers.
    var tableLines: [String] {
        var table = TextTable()
        table.add("level", "grid", "mean", "max", "mass share", "top-10% share", "centroid (x, y)")
        for level in levels {
            let centroid = level.centroidX.flatMap { x in
                level.centroidY.map { y in "(\(Format.number(x, digits: 4)), "
                    + "\(Format.number(y, digits: 4)))" }
            } ?? "-"
            table.add(level.name, "\(level.width)x\(level.height)", Format.number(level.mean),
                      Format.number(level.max), Format.number(level.massShare, digits: 3),
                      Format.number(level.topDecileShare, digits: 3), centroid)
        }
        return table.lines
    }
}

/// Image helpers shared by `audit`, `apply` and thumbnails.
enum AuditImages {
    /// Decode limits for photos: at least 2×2 (the network needs it), at most 40 megapixels.
    static let limits = DecodeLimits(maxPixels: 40_000_000, minSide: 2)

    /// The image scaled so its longer side is `longSide` (never enlarged).
    static func scaled(_ image: RGBImage, longSide: Int) -> RGBImage {
        let long = max(image.width, image.height)
        guard long > longSide else { return image }
        let factor = Double(longSide) / Double(long)
        let width = max(1, Int((Double(image.width) * factor).rounded()))
        let height = max(1, Int((Double(image.height) * factor).rounded()))
        return Resample.resize(image, width: width, height: height)
    }

    /// Pearson correlation of two equally long planes; nil when either is constant.
    static func correlation(_ a: [Float], _ b: [Float]) -> Double? {
        guard a.count == b.count, !a.isEmpty else { return nil }
        let n = Double(a.count)
        let meanA = a.reduce(0.0) { $0 + Double($1) } / n
        let meanB = b.reduce(0.0) { $0 + Double($1) } / n
        var covariance = 0.0, varianceA = 0.0, varianceB = 0.0
        for index in a.indices {
            let x = Double(a[index]) - meanA, y = Double(b[index]) - meanB
            covariance += x * y
            varianceA += x * x
            varianceB += y * y
        }
        guard varianceA > 0, varianceB > 0 else { return nil }
        return covariance / (varianceA * varianceB).squareRoot()
    }
}
