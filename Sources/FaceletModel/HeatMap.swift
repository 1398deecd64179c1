import FaceletImaging
import FaceletTensor
import Foundation

/// Where an edit acts (Eq. 8 of the paper): per level, H[i, j] = Σ_k Δv[k, i, j]², and a
/// combined map at the photo's size.
///
/// The combined map: each level's map is resized to the padded photo's size (bilinear, via
/// `Resample.resizePlane`), cropped to the photo, divided by its own maximum so every level
/// spans [0, 1] whatever its scale, and the levels are averaged; the result lies in [0, 1].
/// An all-zero level contributes zeros.
public struct HeatMap: Sendable {
    /// One level's map.
    public struct Level: Sendable, Equatable {
        /// The level's name.
        public let name: String
        /// Photo pixels per cell.
        public let stride: Int
        /// Grid width in cells (of the padded photo).
        public let width: Int
        /// Grid height in cells.
        public let height: Int
        /// Σ_k Δv², row-major `height × width`.
        public let values: [Float]
    }

    /// The per-level maps, in the backbone's level order.
    public let levels: [Level]
    /// The combined map, row-major at the photo's size, in [0, 1].
    public let combined: [Float]
    /// The photo's width.
    public let width: Int
    /// The photo's height.
    public let height: Int
    /// How the photo was padded (to place level cells on the photo).
    public let padding: InputPadding

    /// The heat map of the change `delta`, for a photo padded by `padding`; `strides` gives
    /// each level's stride.
    ///
    /// - Precondition: every level of `delta` is `[1, C, Hp / stride, Wp / stride]`.
    public init(delta: FeatureSet, padding: InputPadding, strides: [String: Int]) {
        var levels: [Level] = []
        var combined = [Float](repeating: 0, count: padding.width * padding.height)
        for (name, change) in delta.levels {
            guard let stride = strides[name] else {
                preconditionFailure("no stride for level \(name)")
            }
            let map = Ops.sumOfSquaresOverChannels(change)
            let level = Level(name: name, stride: stride, width: map.w, height: map.h,
                              values: map.data)
            levels.append(level)

            let cropped = Self.photoMap(level, padding: padding)
            let largest = cropped.max() ?? 0
            guard largest > 0 else { continue }
            for i in combined.indices { combined[i] += cropped[i] / largest }
        }
        if !levels.isEmpty {
            let share = 1 / Float(levels.count)
            combined = combined.map { $0 * share }
        }
        self.levels = levels
        self.combined = combined
        self.width = padding.width
        self.height = padding.height
        self.padding = padding
    }

    /// The heat map of an edit session's Δv on `levels` (all the bank's levels when nil).
    public init(session: EditSession, levels: Set<String>? = nil) {
        var strides: [String: Int] = [:]
        for level in session.backbone.levels { strides[level.name] = level.stride }
        let chosen = FeatureSet(session.delta.levels.filter { levels?.contains($0.name) ?? true }
            .map { ($0.name, $0.tensor) })
        self.init(delta: chosen, padding: session.padding, strides: strides)
    }

    /// The map of one level, if present.
    public func level(_ name: String) -> Level? {
        levels.first { $0.name == name }
    }

    /// One level's map at the photo's size (resized to the padded photo, cropped to the
    /// photo), unnormalised; nil when the level is absent.
    public func photoMap(level name: String) -> [Float]? {
        level(name).map { Self.photoMap($0, padding: padding) }
    }

    private static func photoMap(_ level: Level, padding: InputPadding) -> [Float] {
        let resized = Resample.resizePlane(level.values, width: level.width,
                                           height: level.height, toWidth: padding.paddedWidth,
                                           toHeight: padding.paddedHeight)
        return crop(resized, padding: padding)
    }

    /// Statistics of each level's map (over its whole padded grid; centroids in photo pixels).
    public func statistics() -> [HeatMapStatistics] {
        levels.map { level in
            HeatMapStatistics(level: level.name, map: level.values, width: level.width,
                              height: level.height, stride: level.stride,
                              originX: padding.left, originY: padding.top)
        }
    }

    /// One level's map (normalised by its maximum) laid over the photo, colour-mapped.
    ///
    /// The level's grid is resized to the padded photo's size and then cropped to the photo,
    /// so padding does not shift it; the maximum is taken over the photo's part.
    /// - Precondition: `photo` has the map's size; the level exists.
    public func overlay(level name: String, on photo: RGBImage,
                        opacity: Float = 0.6) -> RGBImage {
        precondition(photo.width == width && photo.height == height, "photo size differs")
        guard let level = level(name) else { preconditionFailure("no heat map level \(name)") }
        let cropped = Self.photoMap(level, padding: padding)
        let largest = cropped.max() ?? 0
        let normalised = largest > 0 ? cropped.map { $0 / largest } : cropped
        return Overlay.blend(photo: photo, heat: normalised, planeWidth: width,
                             planeHeight: height, opacity: opacity)
    }

    /// The combined map laid over the photo, colour-mapped.
    /// - Precondition: `photo` has the map's size.
    public func overlayCombined(on photo: RGBImage, opacity: Float = 0.6) -> RGBImage {
        precondition(photo.width == width && photo.height == height, "photo size differs")
        return Overlay.blend(photo: photo, heat: combined, planeWidth: width, planeHeight: height,
                             opacity: opacity)
    }

    /// PNG files of every overlay: `"<level>"` for each level and `"combined"`.
    ///
    /// - Throws: `ImageError` when PNG encoding fails.
    public func overlayPNGs(on photo: RGBImage,
                            opacity: Float = 0.6) throws(ImageError) -> [String: Data] {
        var files: [String: Data] = [:]
        for level in levels {
            files[level.name] = try ImageCodec.encodePNG(overlay(level: level.name, on: photo,
                                                                 opacity: opacity))
        }
        files["combined"] = try ImageCodec.encodePNG(overlayCombined(on: photo,
                                                                     opacity: opacity))
        return files
    }

    /// The rows and columns of a padded-size plane that cover the photo.
    private static func crop(_ plane: [Float], padding: InputPadding) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(padding.width * padding.height)
        for row in padding.top..<(padding.top + padding.height) {
            let start = row * padding.paddedWidth + padding.left
            out.append(contentsOf: plane[start..<(start + padding.width)])
        }
        return out
    }
}
