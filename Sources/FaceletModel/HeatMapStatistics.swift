/// Summary numbers of one level's heat map H[i, j] = Σ_k Δv[k, i, j]², over all its cells
/// (the padded grid of that level).
public struct HeatMapStatistics: Codable, Sendable, Equatable {
    /// The level's name.
    public var level: String
    /// The level's grid width in cells.
    public var width: Int
    /// The level's grid height in cells.
    public var height: Int
    /// Photo pixels per cell along each side.
    public var stride: Int
    /// The mean over cells.
    public var mean: Double
    /// The largest cell.
    public var max: Double
    /// The sum over cells.
    public var totalMass: Double
    /// The share of the total mass in the top 10 % of cells (the ⌈n / 10⌉ largest); 0 when the
    /// map is all zero. Near 0.1 for an edit spread evenly, near 1 for a concentrated one.
    public var topDecileShare: Double
    /// The mass-weighted mean column, in photo pixel coordinates (cell centres, minus the
    /// left padding); nil when the map is all zero.
    public var centroidX: Double?
    /// The mass-weighted mean row, in photo pixel coordinates; nil when the map is all zero.
    public var centroidY: Double?

    /// Computes the statistics of a `[1, 1, height, width]` map (any rank-4 single-plane map).
    init(level: String, map: [Float], width: Int, height: Int, stride: Int,
         originX: Int, originY: Int) {
        precondition(map.count == width * height, "map size mismatch")
        self.level = level
        self.width = width
        self.height = height
        self.stride = stride

        var total = 0.0
        var largest = 0.0
        var sumX = 0.0
        var sumY = 0.0
        for row in 0..<height {
            for column in 0..<width {
                let value = Double(map[row * width + column])
                total += value
                largest = Swift.max(largest, value)
                sumX += value * ((Double(column) + 0.5) * Double(stride) - Double(originX))
                sumY += value * ((Double(row) + 0.5) * Double(stride) - Double(originY))
            }
        }
        let count = map.count
        mean = count > 0 ? total / Double(count) : 0
        max = largest
        totalMass = total

        let topCount = (count + 9) / 10
        let top = map.sorted(by: >).prefix(topCount).reduce(0.0) { $0 + Double($1) }
        topDecileShare = total > 0 ? top / total : 0
        centroidX = total > 0 ? sumX / total : nil
        centroidY = total > 0 ? sumY / total : nil
    }
}
