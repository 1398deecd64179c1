import Foundation
import Testing
@testable import FaceletImaging

/// Paths of the repository and the shared test photos, found from this file's location.
enum TestPaths {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let repositoryRoot = testsDirectory.deletingLastPathComponent()
        .deletingLastPathComponent()
    /// `../shared/data/faces` relative to the repository root.
    static let faces = repositoryRoot.appendingPathComponent("../shared/data/faces")
        .standardizedFileURL
    static let astronaut = faces.appendingPathComponent("nasa_eileen_collins_astronaut.png")
    static let hopper = faces.appendingPathComponent("usnavy_grace_hopper.jpg")
    static let variantScript = testsDirectory.appendingPathComponent("Python/make_variants.py")

    /// A fresh empty directory under the system temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("facelet-imaging-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// One variant written by `Python/make_variants.py`, with its independent reference.
struct VariantCase: Decodable, Sendable {
    let name: String
    let file: String
    let kind: String
    let width: Int
    let height: Int
    let reference: String
}

/// The variants, generated once per test process into a temporary directory.
struct Variants: Sendable {
    let directory: URL
    let cases: [String: VariantCase]

    /// Runs the Python helper (needs `python3` with numpy and Pillow).
    static func generate() throws -> Variants {
        let directory = try TestPaths.temporaryDirectory()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", TestPaths.variantScript.path, TestPaths.faces.path,
                             directory.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(),
                               as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw HelperFailure(description: "make_variants.py failed (the tests need python3 "
                                    + "with numpy and Pillow: pip install numpy pillow):\n"
                                    + errorText)
        }
        let manifest = try Data(contentsOf: directory.appendingPathComponent("manifest.json"))
        let list = try JSONDecoder().decode([VariantCase].self, from: manifest)
        return Variants(directory: directory,
                        cases: Dictionary(uniqueKeysWithValues: list.map { ($0.name, $0) }))
    }

    /// The file of a case (absolute paths are kept as they are).
    func url(of variant: VariantCase) -> URL {
        variant.file.hasPrefix("/") ? URL(fileURLWithPath: variant.file)
            : directory.appendingPathComponent(variant.file)
    }

    /// The reference samples of a case, planar CHW floats.
    func reference(of variant: VariantCase) throws -> [Float] {
        let data = try Data(contentsOf: directory.appendingPathComponent(variant.reference))
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map { index in
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(
                    fromByteOffset: 4 * index, as: UInt32.self)))
            }
        }
    }

    /// A generated file by name.
    func file(_ name: String) -> URL { directory.appendingPathComponent(name) }
}

struct HelperFailure: Error, CustomStringConvertible {
    let description: String
}

/// Generated lazily, once, the first time a test asks (Swift globals initialise atomically).
let sharedVariants: Result<Variants, any Error> = Result { try Variants.generate() }

/// Largest and mean absolute difference of two equally long sample arrays.
func differences(_ lhs: [Float], _ rhs: [Float]) -> (max: Float, mean: Float) {
    precondition(lhs.count == rhs.count, "sample counts differ")
    var largest: Float = 0
    var total: Double = 0
    lhs.withUnsafeBufferPointer { lhs in
        rhs.withUnsafeBufferPointer { rhs in
            for index in lhs.indices {
                let difference = abs(lhs[index] - rhs[index])
                largest = max(largest, difference)
                total += Double(difference)
            }
        }
    }
    return (largest, Float(total / Double(max(lhs.count, 1))))
}

/// A small deterministic generator (SplitMix64) so fuzz-style tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

/// Runs `body` and returns the `ImageError` it throws, or nil if it did not throw; any other
/// error is recorded as a test issue.
func imageError<T>(_ body: () throws -> T) -> ImageError? {
    do {
        _ = try body()
        return nil
    } catch let error as ImageError {
        return error
    } catch {
        Issue.record("expected an ImageError, got \(error)")
        return nil
    }
}
