import FaceletImaging

/// How training crops are cut from photos.
public struct CropOptions: Sendable, Equatable, Codable {
    /// The side of the square training sample, in pixels.
    public var size: Int
    /// The smallest crop side, as a fraction of the photo's shorter side.
    public var minScale: Double
    /// The largest crop side, as a fraction of the photo's shorter side.
    public var maxScale: Double
    /// Whether a crop is mirrored left-right with probability 1/2.
    public var flip: Bool

    /// Makes crop options; the defaults are 64-pixel crops of 60–100 % of the shorter side.
    public init(size: Int = 64, minScale: Double = 0.6, maxScale: Double = 1.0,
                flip: Bool = true) {
        precondition(size > 0, "The crop size must be positive")
        precondition(minScale > 0 && minScale <= maxScale && maxScale <= 1,
                     "Crop scales must satisfy 0 < minScale <= maxScale <= 1")
        self.size = size
        self.minScale = minScale
        self.maxScale = maxScale
        self.flip = flip
    }
}

extension PhotoSet {
    /// Training sample number `index`: a random square crop of photo `index % count`.
    ///
    /// The crop's side is a uniform fraction in `[minScale, maxScale]` of the photo's shorter
    /// side, its position uniform over the photo, and it is mirrored with probability 1/2 when
    /// `flip` is set; it is then resampled to `size × size`. Each sample depends only on
    /// `(seed, index)`, so samples can be generated one at a time, in any order, on any thread,
    /// and the same seed always gives the same samples.
    public func sample(_ index: Int, options: CropOptions = CropOptions(),
                       seed: UInt64) -> RGBImage {
        precondition(index >= 0, "Sample indices are non-negative")
        var rng = TrainingRandom(seed: seed ^ (UInt64(index) &* 0xD1B5_4A32_D192_ED03))
        _ = rng.next()
        let photo = photos[index % photos.count].image
        let short = Double(min(photo.width, photo.height))
        let fraction = options.minScale
            + (options.maxScale - options.minScale) * rng.nextUnitDouble()
        let side = max(1, short * fraction)
        let x = (Double(photo.width) - side) * rng.nextUnitDouble()
        let y = (Double(photo.height) - side) * rng.nextUnitDouble()
        let flip = options.flip && rng.next() & 1 == 1
        return CropResampler.crop(photo, x: x, y: y, width: side, height: side,
                                  outWidth: options.size, outHeight: options.size, flip: flip)
    }

    /// Samples `0 ..< count` (see `sample(_:options:seed:)`).
    public func samples(count: Int, options: CropOptions = CropOptions(),
                        seed: UInt64) -> [RGBImage] {
        (0 ..< count).map { sample($0, options: options, seed: seed) }
    }

    /// Photo `index % count` as a whole, centre-cropped to a square and resampled to
    /// `size × size` (no randomness), for evaluation.
    public func centreSquare(_ index: Int, size: Int) -> RGBImage {
        let photo = photos[index % photos.count].image
        let side = Double(min(photo.width, photo.height))
        let x = (Double(photo.width) - side) / 2
        let y = (Double(photo.height) - side) / 2
        return CropResampler.crop(photo, x: x, y: y, width: side, height: side,
                                  outWidth: size, outHeight: size, flip: false)
    }
}
