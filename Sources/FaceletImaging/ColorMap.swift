/// A colour ramp for heat maps (where an effect acts on a face).
public enum ColorMap {
    /// Control points of the ramp: near-black, deep violet, magenta, red-orange, orange,
    /// pale yellow. Rec. 709 luminance rises at every step, so brighter always means hotter.
    static let controlPoints: [(Float, Float, Float)] = [
        (0.00, 0.00, 0.02),
        (0.20, 0.03, 0.35),
        (0.55, 0.08, 0.40),
        (0.88, 0.30, 0.18),
        (0.99, 0.65, 0.10),
        (1.00, 0.98, 0.80),
    ]

    /// The ramp colour (R, G, B in [0, 1]) of `value`: 0 is near-black, 1 pale yellow-white.
    /// Values are clamped to [0, 1]; NaN counts as 0.
    public static func heat(_ value: Float) -> (Float, Float, Float) {
        let clamped = value > 0 ? min(value, 1) : 0
        let segments = Float(controlPoints.count - 1)
        let position = clamped * segments
        let lower = min(Int(position), controlPoints.count - 2)
        let fraction = position - Float(lower)
        let from = controlPoints[lower], to = controlPoints[lower + 1]
        return (from.0 + (to.0 - from.0) * fraction,
                from.1 + (to.1 - from.1) * fraction,
                from.2 + (to.2 - from.2) * fraction)
    }

    /// Renders a row-major `width` x `height` plane through `heat`, after dividing by
    /// `max` (or by the plane's own largest value when `max` is nil). A plane whose divisor
    /// is not positive renders as all zeros.
    ///
    /// - Precondition: `plane.count == width * height`, both sides positive.
    public static func render(_ plane: [Float], width: Int, height: Int,
                              normalizeTo max: Float?) -> RGBImage {
        precondition(width > 0 && height > 0, "render needs a positive size")
        precondition(plane.count == width * height, "the plane is not \(width)x\(height)")
        let divisor = max ?? plane.reduce(0) { Swift.max($0, $1.isFinite ? $1 : 0) }
        let scale: Float = divisor > 0 && divisor.isFinite ? 1 / divisor : 0
        let count = width * height
        var pixels = [Float](repeating: 0, count: 3 * count)
        for index in 0..<count {
            let colour = heat(plane[index] * scale)
            pixels[index] = colour.0
            pixels[count + index] = colour.1
            pixels[2 * count + index] = colour.2
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
