import FaceletImaging
import FaceletModel
import FaceletPackage
import FaceletTensor
import Foundation
@testable import FaceletTraining

/// A temporary folder removed when the value is released.
final class TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("facelet-training-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }
}

/// Deterministic test images: smooth colour gradients with a seeded blob.
enum TestImages {
    static func gradient(width: Int, height: Int, seed: UInt64) -> RGBImage {
        var rng = TrainingRandom(seed: seed)
        let base = (0 ..< 3).map { _ in rng.nextUnitFloat() * 0.6 + 0.2 }
        let slope = (0 ..< 3).map { _ in rng.nextUnitFloat() * 0.4 - 0.2 }
        let cx = rng.nextUnitFloat(), cy = rng.nextUnitFloat()
        var pixels = [Float](repeating: 0, count: 3 * width * height)
        for c in 0 ..< 3 {
            for y in 0 ..< height {
                for x in 0 ..< width {
                    let u = Float(x) / Float(width), v = Float(y) / Float(height)
                    let blob = exp(-((u - cx) * (u - cx) + (v - cy) * (v - cy)) * 12)
                    let value = base[c] + slope[c] * (u - v) + 0.25 * blob * (c == 0 ? 1 : -0.5)
                    pixels[(c * height + y) * width + x] = min(1, max(0, value))
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// An in-memory photo set of `count` gradient images.
    static func photoSet(count: Int, width: Int = 48, height: Int = 40,
                         seed: UInt64 = 7) -> PhotoSet {
        PhotoSet(photos: (0 ..< count).map { i in
            let image = gradient(width: width, height: height, seed: seed &+ UInt64(i))
            let bytes = image.pixels.withUnsafeBufferPointer { Data(buffer: $0) }
            return PhotoSet.Photo(name: "photo\(i).png", digest: Digest.sha256(bytes),
                                  image: image)
        })
    }
}

/// A tiny random VGG-19 backbone (width 1/16) for end-to-end tests.
enum TinyBackbone {
    static let shared: Backbone = {
        let architecture = Architecture.vgg19(width: 1 / 16.0)
        do {
            let package = try RandomWeights.backbone(architecture, seed: 11).package
            return try Backbone(package: package)
        } catch {
            fatalError("The tiny test backbone does not build: \(error)")
        }
    }()
}

/// Fills a feature store with seeded random records.
func randomStore(layout: FeatureLayout, count: Int, seed: UInt64,
                 offset: Float = 0) throws -> FeatureStore {
    let store = try FeatureStore(layout: layout)
    var rng = TrainingRandom(seed: seed)
    for _ in 0 ..< count {
        try store.append(record: (0 ..< layout.recordCount).map { _ in
            rng.nextGaussian() + offset
        })
    }
    return store
}
