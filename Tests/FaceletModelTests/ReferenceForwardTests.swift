import FaceletImaging
import FaceletModel
import FaceletPackage
import FaceletTensor
import Foundation
import Testing

/// One network and edit checked against the numpy reference.
struct ReferenceCase: Sendable, CustomTestStringConvertible {
    let label: String
    let skip: MergeMode
    let upsample: FaceletPackage.UpsampleMode
    let output: OutputMode
    let batchNorm: BatchNormMode?
    let bankPadding: [FaceletPackage.Padding]
    let width: Int
    let height: Int
    let levels: [String]?
    /// A complete architecture that replaces the VGG-19 one built from the fields above.
    var fixedArchitecture: Architecture? = nil

    var testDescription: String { label }

    var architecture: Architecture {
        if let fixedArchitecture { return fixedArchitecture }
        let arch = Architecture.vgg19(width: 1 / 16.0, skip: skip, upsample: upsample,
                                      output: output)
        return batchNorm.map { withBatchNorm(arch, $0) } ?? arch
    }

    static let all: [ReferenceCase] = [
        ReferenceCase(label: "concat, nearest, image, zero bank, 45x37",
                      skip: .concat, upsample: .nearest, output: .image, batchNorm: nil,
                      bankPadding: [.zero, .zero, .zero], width: 45, height: 37,
                      levels: ["relu4_1", "relu5_1"]),
        ReferenceCase(label: "add, bilinear, add-input, batchnorm running, reflect bank, 37x45",
                      skip: .add, upsample: .bilinear, output: .addInput, batchNorm: .running,
                      bankPadding: [.reflect, .zero, .reflect], width: 37, height: 45,
                      levels: nil),
        ReferenceCase(label: "concat, bilinear, difference, batchnorm instance, 29x23",
                      skip: .concat, upsample: .bilinear, output: .difference,
                      batchNorm: .instance, bankPadding: [.reflect, .reflect, .reflect],
                      width: 29, height: 23, levels: ["relu3_1"]),
        ReferenceCase(label: "tiny 7x5 photo: replicate fallback, 1-pixel relu5_1, reflect bank",
                      skip: .add, upsample: .nearest, output: .image, batchNorm: nil,
                      bankPadding: [.reflect, .reflect, .reflect], width: 7, height: 5,
                      levels: nil),
        ReferenceCase(label: "original release: mean padding to 112, add skips, 100x90",
                      skip: .add, upsample: .bilinear, output: .addInput, batchNorm: .instance,
                      bankPadding: Architecture.originalBankPadding, width: 100, height: 90,
                      levels: nil,
                      fixedArchitecture: .faceletOriginal(width: 1.0 / 32)),
    ]
}

@Suite("Forward pass against an independent numpy implementation")
struct ReferenceForwardTests {
    /// Tolerance: max |swift − numpy| ≤ 1e-4 · max |numpy| + 1e-6 per output (numpy runs in
    /// float64 from the same float32 weights; Swift in float32).
    static let tolerance: Float = 1e-4

    @Test("encoder, bank, heat map, decoder and edit match numpy",
          arguments: ReferenceCase.all)
    func forwardMatchesNumpy(_ config: ReferenceCase) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let work = directory.url

        let (backboneData, backbone) = try randomBackbone(config.architecture, seed: 11)
        let (bankData, bankPackage) = try RandomWeights.bank(
            for: backbone, seed: 12, scale: 1, biasScale: 0.05, padding: config.bankPadding)
        let bank = try FaceletBank(package: bankPackage, backbone: backbone)
        let photo = testPhoto(width: config.width, height: config.height)
        let strength = 0.5
        try backboneData.write(to: work.appendingPathComponent("backbone.fbb"))
        try bankData.write(to: work.appendingPathComponent("bank.fbk"))
        try float32Data(photo.pixels).write(to: work.appendingPathComponent("input.f32"))
        var job: [String: Any] = ["height": photo.height, "width": photo.width,
                                  "strength": strength]
        job["levels"] = config.levels ?? NSNull()
        try JSONSerialization.data(withJSONObject: job)
            .write(to: work.appendingPathComponent("job.json"))

        let reference = try NumpyReference.run(in: work)

        let editor = Editor(backbone: backbone)
        let session = try editor.prepare(photo, bank: bank)
        let levelSet = config.levels.map(Set.init)
        let heat = HeatMap(session: session)

        var checks: [(String, Tensor)] = []
        for (name, tensor) in session.features.levels { checks.append(("psi." + name, tensor)) }
        for (name, tensor) in session.delta.levels { checks.append(("delta." + name, tensor)) }
        for level in heat.levels {
            checks.append(("heat." + level.name,
                           Tensor(shape: [1, 1, level.height, level.width],
                                  data: level.values)))
        }
        checks.append(("decoded0", backbone.decode(session.features)))
        checks.append(("decoded", session.decodeEdited(strength: strength, levels: levelSet)))
        let edit = session.render(strength: strength, levels: levelSet)
        checks.append(("edit", Tensor(shape: [3, photo.height, photo.width], data: edit.pixels)))
        let reconstruction = try editor.reconstruct(photo)
        checks.append(("reconstruction", Tensor(shape: [3, photo.height, photo.width],
                                                data: reconstruction.pixels)))

        #expect(Set(checks.map(\.0) + ["padded"]) == Set(reference.names),
                "Swift and numpy produced different sets of outputs")
        for (name, tensor) in checks {
            guard let expected = reference.outputs[name] else { continue }
            #expect(tensor.shape == expected.shape, "shape of \(name)")
            guard tensor.shape == expected.shape else { continue }
            let scale = expected.data.reduce(0) { max($0, abs($1)) }
            let difference = maxAbsDifference(tensor.data, expected.data)
            let matches = close(tensor.data, expected.data, relative: Self.tolerance)
            #expect(matches, "\(name): max |diff| \(difference) at reference scale \(scale)")
        }
        // The edit must move pixels, or the comparison above proves little.
        #expect(maxAbsDifference(edit.pixels, reconstruction.pixels) > 1e-3)
    }
}

/// Runs Python/reference_forward.py and reads what it wrote.
enum NumpyReference {
    struct Result {
        var outputs: [String: Tensor]
        var names: [String] { Array(outputs.keys) }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static var script: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Python/reference_forward.py")
    }

    static func run(in work: URL) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, work.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(),
                               as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "reference_forward.py failed (needs python3 with "
                          + "numpy): \(errorText)")
        }

        let listing = try Data(contentsOf: work.appendingPathComponent("outputs.json"))
        guard let shapes = try JSONSerialization.jsonObject(with: listing) as? [String: [Int]]
        else { throw Failure(description: "outputs.json is not a name -> shape object") }
        var outputs: [String: Tensor] = [:]
        for (name, shape) in shapes {
            let data = try Data(contentsOf: work.appendingPathComponent(name + ".f32"))
            outputs[name] = Tensor(shape: shape, data: floats(from: data))
        }
        return Result(outputs: outputs)
    }
}
