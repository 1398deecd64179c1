import FaceletImaging
import FaceletImport
import Foundation
import Testing

/// One of the `original_pipeline*.safetensors` fixtures: a photo and PyTorch's outputs of the
/// original release's pipeline for it (scripts/make-import-fixtures.py).
///
/// `input` is the photo, RGB in [0, 1], `[1, 3, H, W]`; `relu3_1`, `relu4_1`, `relu5_1` are the
/// features of the input after padding to a multiple of 112; `out_<bn>_s<strength>` are the
/// edited photos, clamped to [0, 1] and cropped back to `H × W`.
struct PipelineFixture {
    /// The tensors of the file, under their keys.
    let tensors: StateDict

    /// Reads `name` from the fixture folder.
    init(_ name: String) throws {
        tensors = try CheckpointReader.read(contentsOf: Fixture.url(name)).stateDict
    }

    /// The float32 values of `key` (row-major) and its shape.
    func values(_ key: String) throws -> (shape: [Int], values: [Float]) {
        let tensor = try #require(tensors[key], "no tensor \(key)")
        return (tensor.shape, tensor.bitPatterns.map(Float.init(bitPattern:)))
    }

    /// The input photo.
    func photo() throws -> RGBImage {
        let (shape, pixels) = try values("input")
        try #require(shape.count == 4 && shape[0] == 1 && shape[1] == 3, "input is \(shape)")
        return RGBImage(width: shape[3], height: shape[2], pixels: pixels)
    }

    /// The largest absolute difference between two equally long arrays.
    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
        return zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }
}
