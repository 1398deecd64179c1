/// Heat maps laid over photos.
public enum Overlay {
    /// Blends a heat map over a photo.
    ///
    /// The plane (row-major `planeWidth` x `planeHeight`, values expected in [0, 1]; others
    /// are clamped, NaN counts as 0) is resized to the photo's size with `Resample`. Each
    /// pixel then mixes in the ramp colour `ColorMap.heat(h)` with weight `opacity * h`, so
    /// cold areas show the photo unchanged and the hottest ones at `opacity`.
    ///
    /// - Precondition: `opacity` in [0, 1]; `plane.count == planeWidth * planeHeight`.
    public static func blend(photo: RGBImage, heat plane: [Float], planeWidth: Int,
                             planeHeight: Int, opacity: Float = 0.6) -> RGBImage {
        precondition((0...1).contains(opacity), "opacity must be in [0, 1]")
        let heat = Resample.resizePlane(plane, width: planeWidth, height: planeHeight,
                                        toWidth: photo.width, toHeight: photo.height)
        let count = photo.planeSize
        var pixels = photo.pixels
        for index in 0..<count {
            let value = heat[index] > 0 ? min(heat[index], 1) : 0
            let alpha = opacity * value
            let colour = ColorMap.heat(value)
            pixels[index] = pixels[index] * (1 - alpha) + colour.0 * alpha
            pixels[count + index] = pixels[count + index] * (1 - alpha) + colour.1 * alpha
            pixels[2 * count + index] = pixels[2 * count + index] * (1 - alpha) + colour.2 * alpha
        }
        return RGBImage(width: photo.width, height: photo.height, pixels: pixels)
    }
}
