import FaceletImaging
import FaceletModel
import FaceletPackage
@testable import FaceletRuntime
import Foundation
import Testing

@Suite("Installing, removing, memory and strength")
struct LifecycleTests {
    /// Installs a bank and returns a weak reference to it, holding no strong one.
    private func installWeakly(_ runtime: FaceletRuntime, _ package: Package) throws
        -> WeakEffect {
        WeakEffect(try runtime.install(package))
    }

    final class WeakEffect {
        weak var effect: InstalledEffect?
        init(_ effect: InstalledEffect) { self.effect = effect }
    }

    @Test("removing an effect frees its bank once no request or snapshot holds it")
    func unloadingFreesTheBank() throws {
        let (_, backbone) = try narrowBackbone()
        let runtime = FaceletRuntime(backbone: backbone)
        let weak = try installWeakly(runtime, try randomBank(backbone, seed: 10).package)
        #expect(weak.effect != nil)

        do {
            let held = runtime.snapshot()
            #expect(runtime.remove("smile")?.version == "10")
            #expect(runtime.snapshot().effects.isEmpty)
            // A request that captured the table before the removal keeps the bank alive.
            #expect(held["smile"] != nil && weak.effect != nil)
        }
        #expect(weak.effect == nil)
        #expect(runtime.remove("smile") == nil)
        #expect(runtime.statistics == RuntimeStatistics(installs: 1, removals: 1))
    }

    @Test("a replaced bank is freed too")
    func replacingFreesTheOldBank() throws {
        let (_, backbone) = try narrowBackbone()
        let runtime = FaceletRuntime(backbone: backbone)
        let weak = try installWeakly(runtime, try randomBank(backbone, seed: 10).package)
        try runtime.install(try randomBank(backbone, seed: 11).package)
        #expect(weak.effect == nil)
    }

    @Test("resident bytes are the float32 weights of each installed bank")
    func residentBytesPerBank() throws {
        let (_, backbone) = try narrowBackbone()
        let runtime = FaceletRuntime(backbone: backbone)
        let all = try runtime.install(try randomBank(backbone, seed: 10, name: "smile").package)
        let one = try runtime.install(
            try RandomWeights.bank(for: backbone, levels: ["relu4_1"], seed: 12,
                                   name: "beard").package)
        // Per level: three [C, C, 3, 3] weights and three [C] biases, 4 bytes each.
        func bytes(_ channels: [Int]) -> Int {
            channels.reduce(0) { $0 + 3 * ($1 * $1 * 9 + $1) * 4 }
        }
        let channels = backbone.levels.map(\.channels)
        #expect(channels == [16, 32, 32])
        #expect(all.residentBytes == bytes(channels))
        #expect(one.residentBytes == bytes([32]))
        #expect(runtime.snapshot().residentBytes == bytes(channels) + bytes([32]))
        runtime.remove("smile")
        #expect(runtime.snapshot().residentBytes == bytes([32]))
    }

    @Test("strength defaults to the manifest's and is clamped to its range", arguments: [
        (nil, 1.0, false), (0.5, 0.5, false), (2.0, 2.0, false), (5.0, 2.0, true),
        (-3.0, -1.0, true), (-1.0, -1.0, false),
    ] as [(Double?, Double, Bool)])
    func strengthIsClampedToTheManifestRange(_ requested: Double?, _ applied: Double,
                                             _ clamped: Bool) throws {
        let (_, backbone) = try narrowBackbone()
        let bank = try randomBank(backbone, seed: 10).package
        #expect(bank.manifest.strength == StrengthRange(default: 1, min: -1, max: 2))
        let runtime = FaceletRuntime(backbone: backbone)
        try runtime.install(bank)
        let photo = testPhoto(width: 12, height: 12)
        let result = try runtime.edit(photo, effect: "smile", strength: requested)
        #expect(result.strength == AppliedStrength(requested: requested, applied: applied,
                                                   clamped: clamped))
        #expect(result.image == (try directEdit(photo, backbone: backbone, bank: bank,
                                                strength: applied)))
    }

    @Test("a strength that is not a finite number is refused",
          arguments: [Double.nan, .infinity, -.infinity])
    func nonFiniteStrengthIsRefused(_ strength: Double) throws {
        let (_, backbone) = try narrowBackbone()
        let runtime = FaceletRuntime(backbone: backbone)
        try runtime.install(try randomBank(backbone, seed: 10).package)
        #expect {
            _ = try runtime.edit(testPhoto(width: 8, height: 8), effect: "smile",
                                 strength: strength)
        } throws: { error in
            (error as? RuntimeError)?.code == .badStrength
        }
    }

    @Test("effect names follow the package naming rule", arguments: ["", "../x", "A", ".x"])
    func badEffectNamesAreRefused(_ name: String) throws {
        let (_, backbone) = try narrowBackbone()
        let runtime = FaceletRuntime(backbone: backbone)
        #expect {
            try runtime.install(try randomBank(backbone, seed: 10).package, as: name)
        } throws: { error in
            (error as? RuntimeError)?.code == .badEffectName
        }
    }
}
