import FaceletImaging
import FaceletModel
import FaceletPackage
import FaceletTensor
import Foundation

/// A deterministic photo: smooth colour gradients plus a little seeded noise, in [0, 1].
func testPhoto(width: Int, height: Int, seed: UInt64 = 7) -> RGBImage {
    var generator = SplitMix64(seed: seed)
    var pixels = [Float](repeating: 0, count: 3 * width * height)
    for c in 0..<3 {
        for y in 0..<height {
            for x in 0..<width {
                let base = 0.5 + 0.4 * sin(Double(x * (c + 1)) * 0.3 + Double(y) * 0.2)
                let value = base + 0.05 * (generator.nextUnit() - 0.5)
                pixels[(c * height + y) * width + x] = Float(min(max(value, 0), 1))
            }
        }
    }
    return RGBImage(width: width, height: height, pixels: pixels)
}

/// `arch` with batch normalisation of `mode` on every convolution except `decoder.out`.
func withBatchNorm(_ arch: Architecture, _ mode: BatchNormMode) -> Architecture {
    func convert(_ op: LayerOp) -> LayerOp {
        guard case .conv(var spec) = op, spec.name != "decoder.out" else { return op }
        spec.batchnorm = mode
        return .conv(spec)
    }
    var out = arch
    out.encoder = arch.encoder.map(convert)
    out.decoder = arch.decoder.map(convert)
    return out
}

/// A backbone with random weights for `arch`.
func randomBackbone(_ arch: Architecture, seed: UInt64 = 1) throws -> (Data, Backbone) {
    let (data, package) = try RandomWeights.backbone(arch, seed: seed, biasScale: 0.05)
    return (data, try Backbone(package: package))
}

/// A temporary directory removed when the value is dropped by the caller's `defer`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("facelet-model-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

/// Little-endian float32 bytes of `values`.
func float32Data(_ values: [Float]) -> Data {
    var data = Data(capacity: values.count * 4)
    for value in values {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
    }
    return data
}

/// Floats from little-endian float32 bytes.
func floats(from data: Data) -> [Float] {
    data.withUnsafeBytes { raw in
        (0..<(raw.count / 4)).map { index in
            Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: index * 4,
                                                                     as: UInt32.self)))
        }
    }
}

/// The largest absolute difference between two equally long arrays.
func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "lengths \(a.count) and \(b.count) differ")
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// Whether `actual` matches `expected` within `relative` of the reference's largest magnitude
/// (plus a floor of 1e-6 for near-zero references).
func close(_ actual: [Float], _ expected: [Float], relative: Float = 1e-4) -> Bool {
    guard actual.count == expected.count else { return false }
    let scale = expected.reduce(0) { max($0, abs($1)) }
    return maxAbsDifference(actual, expected) <= relative * scale + 1e-6
}
