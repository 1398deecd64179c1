import FaceletImaging
import FaceletImport
import FaceletModel
import FaceletPackage
import FaceletTensor
import Foundation
import Testing

/// The imported original release, run by FaceletModel, against PyTorch's outputs of the
/// original pipeline (scripts/make-import-fixtures.py) on a 112×112 photo.
///
/// Tolerances (absolute): 1e-6 on the features (values up to 0.25; observed 1.5e-7) and 5e-5
/// on output pixels in [0, 1] (observed 1.4e-5 with per-image batch statistics, whose small
/// variances in these narrow layers amplify rounding, and 6e-7 with running statistics). Both
/// sides compute in float32; the differences are summation order.
@Suite struct OriginalPipelineTests {
    static let featureTolerance: Float = 1e-6
    static let outputTolerance: Float = 5e-5

    private static func reference() throws -> PipelineFixture {
        try PipelineFixture("original_pipeline.safetensors")
    }

    private static func photo() throws -> RGBImage {
        let photo = try reference().photo()
        #expect(photo.width == 112 && photo.height == 112)
        return photo
    }

    @Test func encoderFeaturesMatchPyTorch() throws {
        let backbone = try Backbone(package: try OriginalRelease.backbone())
        let image = Tensor(shape: [1, 3, 112, 112], data: try Self.photo().pixels)
        let features = backbone.encode(image)
        let reference = try Self.reference()
        for level in ["relu3_1", "relu4_1", "relu5_1"] {
            let ours = try #require(features[level])
            let theirs = try reference.values(level)
            #expect(ours.shape == theirs.shape, "\(level)")
            let difference = PipelineFixture.maxDifference(ours.data, theirs.values)
            #expect(difference <= Self.featureTolerance, "\(level): max |Δ| = \(difference)")
        }
    }

    @Test(arguments: [(BatchNormMode.instance, 0.0, "out_instance_s0_0"),
                      (.instance, 1.0, "out_instance_s1_0"),
                      (.running, 1.0, "out_running_s1_0")])
    func editsMatchPyTorch(batchnorm: BatchNormMode, strength: Double, key: String) throws {
        let backbonePackage = try OriginalRelease.backbone(batchnorm: batchnorm)
        let backbone = try Backbone(package: backbonePackage)
        let bank = try FaceletBank(package: try OriginalRelease.bank(on: backbonePackage),
                                   backbone: backbone)
        let session = try Editor(backbone: backbone).prepare(try Self.photo(), bank: bank)
        let output = session.render(strength: strength)
        let theirs = try Self.reference().values(key)
        #expect(theirs.shape == [1, 3, 112, 112])
        #expect(output.width == 112 && output.height == 112)
        let difference = PipelineFixture.maxDifference(output.pixels, theirs.values)
        #expect(difference <= Self.outputTolerance, "\(key): max |Δ| = \(difference)")
    }
}
