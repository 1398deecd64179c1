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
        /// A local change anchored in the content: where the photo is dark (its blurred luma
        /// below `threshold`, soft over `softness`), a per-channel offset is added.
        case shadowRegion = "shadow-region"
    }

    /// Whether the edit is confined to a region (every kind but the colour grade).
    public var isLocal: Bool { kind != .colourGrade }

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
    /// Local patch: the width of the soft edge, in fractions of the radius; shadow region:
    /// the luma range over which the mask falls from 1 to 0.
    public var softness: Float
    /// Shadow region: the blurred luma at and above which the photo is left alone.
    public var threshold: Float

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

    /// Lifted, warmed shadows: where the blurred luma is below 0.4 (fully below 0.25),
    /// (+0.15, +0.08, 0) is added. The region follows the content, as a facial part does on
    /// aligned faces, so a convolutional bank can find it anywhere in a photo.
    public static let shadowLift = PhotoTransform(
        kind: .shadowRegion, name: "shadow-lift", gain: [1, 1, 1], offset: [0.15, 0.08, 0],
        saturation: 1, centre: [0.5, 0.5], radii: [1, 1], softness: 0.15, threshold: 0.4)

    /// Makes a transform; see the properties for the meaning of each field.
    public init(kind: Kind, name: String, gain: [Float], offset: [Float], saturation: Float,
                centre: [Float], radii: [Float], softness: Float, threshold: Float = 1) {
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
        self.threshold = threshold
    }

    /// The edited photo (clamped to [0, 1]) and the region mask (`width × height`, row-major).
    public func apply(_ image: RGBImage) -> (image: RGBImage, mask: [Float]) {
        let mask = kind == .shadowRegion ? shadowMask(image)
                                         : regionMask(width: image.width, height: image.height)
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

    /// The region a photo-independent edit touches: all ones for a colour grade; for a patch,
    /// 1 inside the ellipse's core, falling smoothly to 0 over the soft edge, 0 outside. (A
    /// shadow region depends on the photo: see `apply`.)
    public func regionMask(width: Int, height: Int) -> [Float] {
        switch kind {
        case .colourGrade, .shadowRegion:
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

    /// The shadow region of `image`: 1 where its blurred luma is below
    /// `threshold − softness`, falling smoothly to 0 at `threshold`.
    func shadowMask(_ image: RGBImage) -> [Float] {
        let (width, height) = (image.width, image.height)
        let plane = width * height
        var luma = (0 ..< plane).map { p in
            0.299 * image.pixels[p] + 0.587 * image.pixels[plane + p]
                + 0.114 * image.pixels[2 * plane + p]
        }
        // Two box blurs (about a Gaussian) so the region is a region, not single pixels.
        let radius = max(1, min(width, height) / 32)
        for _ in 0 ..< 2 {
            luma = Self.boxBlur(luma, width: width, height: height, radius: radius)
        }
        return luma.map { value in
            let t = min(1, max(0, (threshold - value) / max(softness, 1e-6)))
            return t * t * (3 - 2 * t)
        }
    }

    /// A separable box blur of a plane with edge clamping.
    static func boxBlur(_ plane: [Float], width: Int, height: Int, radius: Int) -> [Float] {
        var rows = plane
        let span = Float(2 * radius + 1)
        for y in 0 ..< height {
            for x in 0 ..< width {
                var sum: Float = 0
                for dx in -radius ... radius {
                    sum += plane[y * width + min(width - 1, max(0, x + dx))]
                }
                rows[y * width + x] = sum / span
            }
        }
        var out = rows
        for y in 0 ..< height {
            for x in 0 ..< width {
                var sum: Float = 0
                for dy in -radius ... radius {
                    sum += rows[min(height - 1, max(0, y + dy)) * width + x]
                }
                out[y * width + x] = sum / span
            }
        }
        return out
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
        case .localPatch, .shadowRegion:
            return (clamp01(rgb.0 + weight * offset[0]), clamp01(rgb.1 + weight * offset[1]),
                    clamp01(rgb.2 + weight * offset[2]))
        }
    }

    private func clamp01(_ v: Float) -> Float { min(1, max(0, v)) }
}

extension PhotoTransform {
    /// A random photo edit, for teaching a decoder how feature shifts look in pixels: a colour
    /// grade (40 %: gains in [0.8, 1.2], offsets in [−0.08, 0.08], saturation in [0.7, 1.3]),
    /// a shadow region (30 %: threshold 0.25–0.6, softness 0.05–0.2, offsets in [−0.2, 0.2])
    /// or a soft-edged elliptical patch anywhere in the photo (30 %: radii 0.12–0.4, offsets
    /// in [−0.25, 0.25]).
    public static func random(using random: inout TrainingRandom) -> PhotoTransform {
        func uniform(_ low: Float, _ high: Float) -> Float {
            low + (high - low) * random.nextUnitFloat()
        }
        let pick = random.nextUnitFloat()
        if pick < 0.4 {
            return PhotoTransform(
                kind: .colourGrade, name: "random-grade",
                gain: (0..<3).map { _ in uniform(0.8, 1.2) },
                offset: (0..<3).map { _ in uniform(-0.08, 0.08) },
                saturation: uniform(0.7, 1.3), centre: [0.5, 0.5], radii: [1, 1], softness: 0)
        }
        if pick < 0.7 {
            return PhotoTransform(
                kind: .shadowRegion, name: "random-shadows", gain: [1, 1, 1],
                offset: (0..<3).map { _ in uniform(-0.2, 0.2) }, saturation: 1,
                centre: [0.5, 0.5], radii: [1, 1], softness: uniform(0.05, 0.2),
                threshold: uniform(0.25, 0.6))
        }
        return PhotoTransform(
            kind: .localPatch, name: "random-patch", gain: [1, 1, 1],
            offset: (0..<3).map { _ in uniform(-0.25, 0.25) }, saturation: 1,
            centre: [uniform(0.15, 0.85), uniform(0.15, 0.85)],
            radii: [uniform(0.12, 0.4), uniform(0.12, 0.4)], softness: uniform(0.2, 0.6))
    }
}
