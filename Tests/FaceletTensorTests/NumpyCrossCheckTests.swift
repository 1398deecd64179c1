import Foundation
import Testing
import FaceletTensor

/// Runs Reference/numpy_reference.py with raw little-endian float32 files in a temp directory.
enum NumpyReference {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Reference/numpy_reference.py")

    /// Whether `python3` with numpy can run here.
    static let isAvailable: Bool = {
        (try? run(["-c", "import numpy"])) != nil
    }()

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(),
                             as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw Failure(description: "python3 \(arguments) failed: \(message)")
        }
        return message
    }

    /// Writes the inputs, runs the script with `arguments` and reads `out.f32` back.
    static func compute(_ command: String, inputs: [String: Tensor], arguments: [Int],
                        extra: [String] = [], outputShape: [Int]) throws -> Tensor {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("facelet-tensor-numpy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, tensor) in inputs {
            let bytes = tensor.data.flatMap { value -> [UInt8] in
                withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) }
            }
            try Data(bytes).write(to: directory.appendingPathComponent("\(name).f32"))
        }
        try run([script.path, command, directory.path] + arguments.map(String.init) + extra)
        let data = try Data(contentsOf: directory.appendingPathComponent("out.f32"))
        let count = outputShape.reduce(1, *)
        guard data.count == count * 4 else {
            throw Failure(description: "numpy wrote \(data.count) bytes, expected \(count * 4)")
        }
        let values = (0..<count).map { i -> Float in
            let bits = data[(i * 4)..<(i * 4 + 4)].enumerated().reduce(UInt32(0)) {
                $0 | UInt32($1.element) << (8 * UInt32($1.offset))
            }
            return Float(bitPattern: bits)
        }
        return Tensor(shape: outputShape, data: values)
    }
}

@Suite("Cross-check against numpy",
       .enabled(if: NumpyReference.isAvailable, "python3 with numpy is not installed"))
struct NumpyCrossCheckTests {
    @Test("conv2d matches numpy", arguments: [Padding.zero, .reflect, .replicate], [1, 3])
    func conv2dMatchesNumpy(padding: Padding, kernel: Int) throws {
        var random = SeededRandom(state: 99 + UInt64(kernel))
        let x = random.tensor([2, 6, 17, 13])
        let w = random.tensor([5, 6, kernel, kernel])
        let b = random.tensor([5])
        let ours = Ops.conv2d(x, weight: w, bias: b, padding: padding)
        let numpy = try NumpyReference.compute(
            "conv2d", inputs: ["x": x, "w": w, "b": b], arguments: [2, 6, 5, 17, 13, kernel],
            extra: [padding.rawValue], outputShape: ours.shape)
        #expect(relativeError(ours, RefArray(numpy)) < 1e-5)
    }

    @Test("bilinear upsample2x matches numpy (align_corners)")
    func bilinearMatchesNumpy() throws {
        var random = SeededRandom(state: 123)
        for (h, w) in [(1, 1), (2, 3), (5, 7), (17, 13)] {
            let x = random.tensor([2, 3, h, w])
            let ours = Ops.upsample2x(x, mode: .bilinear)
            let numpy = try NumpyReference.compute(
                "upsample-bilinear", inputs: ["x": x], arguments: [2, 3, h, w],
                outputShape: ours.shape)
            #expect(relativeError(ours, RefArray(numpy)) < 1e-6)
        }
    }
}
