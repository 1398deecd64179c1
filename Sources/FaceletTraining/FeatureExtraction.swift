import FaceletImaging
import FaceletModel
import FaceletTensor
import Foundation

/// Computes ψ with the frozen backbone for a stream of training samples and stores it.
public enum FeatureExtraction {
    /// The feature layout a backbone gives for square inputs of side `size`, restricted to
    /// `levels` (all of the backbone's when nil), in the backbone's level order.
    ///
    /// - Throws: `TrainingError` `invalid-option` when `size` is not a multiple of the
    ///   backbone's deepest stride, `backbone-mismatch` for a level the backbone lacks.
    public static func layout(backbone: Backbone, size: Int,
                              levels: [String]? = nil) throws(TrainingError) -> FeatureLayout {
        let wanted = levels ?? backbone.levels.map(\.name)
        for name in wanted where backbone.level(named: name) == nil {
            throw TrainingError(.backboneMismatch, "The backbone has no level '\(name)'; its "
                + "levels are " + backbone.levels.map(\.name).joined(separator: ", "))
        }
        let deepest = backbone.levels.map(\.stride).max() ?? 1
        guard size > 0, size % max(deepest, backbone.padMultiple) == 0 else {
            throw TrainingError(.invalidOption, "The training size \(size) must be a positive "
                + "multiple of \(max(deepest, backbone.padMultiple)) for this backbone")
        }
        let specs = backbone.levels.filter { wanted.contains($0.name) }
        return FeatureLayout(levels: specs.map { spec in
            FeatureLayout.Level(name: spec.name, channels: spec.channels,
                                height: size / spec.stride, width: size / spec.stride)
        })
    }

    /// An RGB image as an NCHW tensor `[1, 3, H, W]`.
    public static func tensor(_ image: RGBImage) -> Tensor {
        Tensor(shape: [1, 3, image.height, image.width], data: image.pixels)
    }

    /// Images stacked into one NCHW tensor `[N, 3, H, W]`.
    ///
    /// - Precondition: all images have the same size.
    public static func tensor(_ images: [RGBImage]) -> Tensor {
        precondition(!images.isEmpty, "No images to stack")
        let (w, h) = (images[0].width, images[0].height)
        precondition(images.allSatisfy { $0.width == w && $0.height == h }, "Sizes differ")
        var data: [Float] = []
        data.reserveCapacity(images.count * 3 * w * h)
        for image in images { data.append(contentsOf: image.pixels) }
        return Tensor(shape: [images.count, 3, h, w], data: data)
    }

    /// Encodes samples `0 ..< count` (made by `sample`) in batches of `batchSize` and stores
    /// their features; only one batch of images and features is in memory at a time.
    ///
    /// - Parameter progress: called after each batch with the number of samples done.
    public static func extract(backbone: Backbone, layout: FeatureLayout, count: Int,
                               batchSize: Int = 8, neighbourGrid: Int = 1,
                               directory: URL? = nil,
                               sample: (Int) -> RGBImage,
                               progress: (Int) -> Void = { _ in })
        throws(TrainingError) -> FeatureStore {
        precondition(count > 0 && batchSize > 0, "Positive count and batch size")
        let store = try FeatureStore(layout: layout, neighbourGrid: neighbourGrid,
                                     directory: directory)
        var start = 0
        while start < count {
            let end = min(count, start + batchSize)
            let images = (start ..< end).map(sample)
            let features = backbone.encode(tensor(images))
            try store.append(features)
            progress(end)
            start = end
        }
        return store
    }
}
