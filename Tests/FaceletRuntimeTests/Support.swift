import FaceletImaging
import FaceletModel
import FaceletPackage
@testable import FaceletRuntime
import Foundation

/// The narrow VGG-19 the runtime tests run on (channels 4/8/16/32).
let narrowArchitecture = Architecture.vgg19(width: 1 / 16.0)

/// A random backbone on the narrow architecture.
func narrowBackbone(seed: UInt64 = 1) throws -> (package: Package, backbone: Backbone) {
    let package = try RandomWeights.backbone(narrowArchitecture, seed: seed, biasScale: 0.05,
                                             name: "narrow", version: String(seed)).package
    return (package, try Backbone(package: package))
}

/// A random bank named `name` bound to `backbone`; different seeds give different digests.
func randomBank(_ backbone: Backbone, seed: UInt64, name: String = "smile",
                version: String? = nil) throws -> (data: Data, package: Package) {
    try RandomWeights.bank(for: backbone, seed: seed, scale: 1, name: name,
                           version: version ?? String(seed))
}

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

/// The edit of `photo` with `package` at `strength`, computed directly with FaceletModel (the
/// reference the runtime's results are compared with).
func directEdit(_ photo: RGBImage, backbone: Backbone, bank package: Package,
                strength: Double) throws -> RGBImage {
    let bank = try FaceletBank(package: package, backbone: backbone)
    return try Editor(backbone: backbone).prepare(photo, bank: bank).render(strength: strength)
}

/// Collects a runtime's events.
final class EventLog: Sendable {
    private let events = Locked<[RuntimeEvent]>([])

    var handler: @Sendable (RuntimeEvent) -> Void {
        { [events] event in events.withLock { $0.append(event) } }
    }

    var all: [RuntimeEvent] { events.withLock { $0 } }

    var rejections: [RuntimeError] {
        all.compactMap { event in
            if case .rejected(_, _, let error) = event { return error }
            return nil
        }
    }
}

/// A temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("facelet-runtime-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
