import FaceletImaging

/// A photo edit with a known answer, used to build a target set Y = T(X) and to measure how
/// much of the change a learned effect reproduces.
///
/// `apply` returns the edited photo and the region the edit touches, as a mask of
/// `width × height` weights in [0, 1] (all ones for a global edit).
public struct PhotoTransform: Sendable, Equatable, Codable {
    /// What the transform does.
    public enum Kind: String, Sendable, Codable {
        /// A global colour grade: saturation change, then a per-channel gain and offset.
        case colourGrade = "colour-grade"
        /// A local change: inside an ellipse (soft edge), a per-channel offset is added.
        case localPatch = "local-patch"
    }

    /// What the transform does.
    public var kind: Kind
    /// A short name for reports (`warm-grade`, `bright-patch`, …).
    public var name: String
    /// Colour grade: per-channel gain (R, G, B).
    public var gain: [Float]
    /// Colour grade: per-channel offset; local patch: the offset added inside the region.
    public var offset: [Float]
    /// Colour grade: the saturation factor (1 keeps it; applied about the luma).
    public var saturation: Float
    /// Local patch: the ellipse's centre (x, y), in fractions of the width and height.
    public var centre: [Float]
    /// Local patch: the ellipse's radii (x, y), in fractions of the width and height.
    public var radii: [Float]
    /// Local patch: the width of the soft edge, in fractions of the radius.
    public var softness: Float

    /// A warm grade: saturation ×1.15, gains (1.08, 1.00, 0.85), offsets (+0.03, +0.01, −0.03).
    public static let warmGrade = PhotoTransform(
        kind: .colourGrade, name: "warm-grade", gain: [1.08, 1.0, 0.85],
        offset: [0.03, 0.01, -0.03], saturation: 1.15, centre: [0.5, 0.5], radii: [1, 1],
        softness: 0)

    /// A bright warm patch: an ellipse centred at (0.5, 0.3) with radii (0.25, 0.18), soft over
    /// the outer 30 % of its radius, where (+0.25, +0.12, −0.05) is added.
    public static let brightPatch = PhotoTransform(
        kind: .localPatch, name: "bright-patch", gain: [1, 1, 1], offset: [0.25, 0.12, -0.05],
        saturation: 1, centre: [0.5, 0.3], radii: [0.25, 0.18], softness: 0.3)

    /// Makes a transform; see the properties for the meaning of each field.
    public init(kind: Kind, name: String, gain: [Float], offset: [Float], saturation: Float,
                centre: [Float], radii: [Float], softness: Float) {
        precondition(gain.count == 3 && offset.count == 3, "Three channels")
        precondition(centre.count == 2 && radii.count == 2 && radii.allSatisfy { $0 > 0 },
                     "A centre (x, y) and two positive radii")
        precondition(softness >= 0 && softness <= 1, "Softness lies in [0, 1]")
        self.kind = kind
        self.name = name
        self.gain = gain
        self.offset = offset
        self.saturation = saturation
        self.centre = centre
        self.radii = radii
        self.softness = softness
    }

    /// The edited photo (clamped to [0, 1]) and the region mask (`width × height`, row-major).
    public func apply(_ image: RGBImage) -> (image: RGBImage, mask: [Float]) {
        let mask = regionMask(width: image.width, height: image.height)
        let plane = image.width * image.height
        var out = image.pixels
        for p in 0 ..< plane {
            let rgb = (image.pixels[p], image.pixels[plane + p], image.pixels[2 * plane + p])
            let edited = edit(rgb, weight: mask[p])
            out[p] = edited.0
            out[plane + p] = edited.1
            out[2 * plane + p] = edited.2
        }
        return (RGBImage(width: image.width, height: image.height, pixels: out), mask)
    }

    /// The region the edit touches: all ones for a colour grade; for a patch, 1 inside the
    /// ellipse's core, falling smoothly to 0 over the soft edge, 0 outside.
    public func regionMask(width: Int, height: Int) -> [Float] {
        switch kind {
        case .colourGrade:
            return [Float](repeating: 1, count: width * height)
        case .localPatch:
            var mask = [Float](repeating: 0, count: width * height)
            for y in 0 ..< height {
                for x in 0 ..< width {
                    mask[y * width + x] = ellipseWeight(x: (Float(x) + 0.5) / Float(width),
                                                        y: (Float(y) + 0.5) / Float(height))
                }
            }
            return mask
        }
    }

    private func ellipseWeight(x: Float, y: Float) -> Float {
        let dx = (x - centre[0]) / radii[0]
        let dy = (y - centre[1]) / radii[1]
        let r = (dx * dx + dy * dy).squareRoot()
        if r >= 1 { return 0 }
        if softness == 0 || r <= 1 - softness { return 1 }
        let t = (1 - r) / softness
        return t * t * (3 - 2 * t)
    }

    private func edit(_ rgb: (Float, Float, Float), weight: Float) -> (Float, Float, Float) {
        switch kind {
        case .colourGrade:
            let luma = 0.299 * rgb.0 + 0.587 * rgb.1 + 0.114 * rgb.2
            let r = luma + saturation * (rgb.0 - luma)
            let g = luma + saturation * (rgb.1 - luma)
            let b = luma + saturation * (rgb.2 - luma)
            return (clamp01(gain[0] * r + offset[0]), clamp01(gain[1] * g + offset[1]),
                    clamp01(gain[2] * b + offset[2]))
        case .localPatch:
            return (clamp01(rgb.0 + weight * offset[0]), clamp01(rgb.1 + weight * offset[1]),
                    clamp01(rgb.2 + weight * offset[2]))
        }
    }

    private func clamp01(_ v: Float) -> Float { min(1, max(0, v)) }
}

extension PhotoTransform {
    /// A random photo edit, for teaching a decoder how feature shifts look in pixels: a colour
    /// grade (gains in [0.8, 1.2], offsets in [−0.08, 0.08], saturation in [0.7, 1.3]) or, half
    /// the time, a soft-edged elliptical patch anywhere in the photo (radii 0.12–0.4, offsets
    /// in [−0.25, 0.25]).
    public static func random(using random: inout TrainingRandom) -> PhotoTransform {
        func uniform(_ low: Float, _ high: Float) -> Float {
            low + (high - low) * random.nextUnitFloat()
        }
        if random.nextUnitFloat() < 0.5 {
            return PhotoTransform(
                kind: .colourGrade, name: "random-grade",
                gain: (0..<3).map { _ in uniform(0.8, 1.2) },
                offset: (0..<3).map { _ in uniform(-0.08, 0.08) },
                saturation: uniform(0.7, 1.3), centre: [0.5, 0.5], radii: [1, 1], softness: 0)
        }
        return PhotoTransform(
            kind: .localPatch, name: "random-patch", gain: [1, 1, 1],
            offset: (0..<3).map { _ in uniform(-0.25, 0.25) }, saturation: 1,
            centre: [uniform(0.15, 0.85), uniform(0.15, 0.85)],
            radii: [uniform(0.12, 0.4), uniform(0.12, 0.4)], softness: uniform(0.2, 0.6))
    }
}
