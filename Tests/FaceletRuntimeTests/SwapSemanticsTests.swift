import Dispatch
import FaceletImaging
import FaceletModel
import FaceletPackage
@testable import FaceletRuntime
import Foundation
import Testing

@Suite("Switching banks")
struct SwapSemanticsTests {
    @Test("a request held mid-flight across a swap finishes on the old version")
    func swapKeepsInFlightRequestsOnOldVersion() throws {
        let (_, backbone) = try narrowBackbone()
        let old = try randomBank(backbone, seed: 10).package
        let new = try randomBank(backbone, seed: 11).package
        let runtime = FaceletRuntime(backbone: backbone)
        try runtime.install(old)
        let photo = testPhoto(width: 20, height: 18)

        // The first request to capture the old bank stops right after capturing it, until
        // the test lets it go; every other request passes.
        let captured = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let holding = Locked(true)
        runtime.hooks.withLock {
            $0.afterCapture = { effect in
                guard effect.digest == old.contentDigest,
                      holding.withLock({ let first = $0; $0 = false; return first }) else {
                    return
                }
                captured.signal()
                release.wait()
            }
        }
        let heldResult = Locked<EditResult?>(nil)
        let finished = DispatchSemaphore(value: 0)
        Thread {
            heldResult.withLock { $0 = try? runtime.edit(photo, effect: "smile", strength: 1) }
            finished.signal()
        }.start()
        #expect(captured.wait(timeout: .now() + 60) == .success)

        try runtime.install(new)
        let fresh = try runtime.edit(photo, effect: "smile", strength: 1)
        release.signal()
        #expect(finished.wait(timeout: .now() + 60) == .success)

        let held = try #require(heldResult.withLock { $0 })
        #expect(held.version.digest == old.contentDigest)
        #expect(held.version.version == "10")
        #expect(fresh.version.digest == new.contentDigest)
        #expect(held.image == (try directEdit(photo, backbone: backbone, bank: old, strength: 1)))
        #expect(fresh.image == (try directEdit(photo, backbone: backbone, bank: new,
                                               strength: 1)))
        #expect(held.image != fresh.image)
        #expect(runtime.statistics == RuntimeStatistics(installs: 1, replacements: 1))
    }

    @Test("a bank validated while a request runs switches in only after validation")
    func validationHappensBeforeTheSwitch() throws {
        let (_, backbone) = try narrowBackbone()
        let old = try randomBank(backbone, seed: 10).package
        let new = try randomBank(backbone, seed: 11).package
        let runtime = FaceletRuntime(backbone: backbone)
        try runtime.install(old)
        let photo = testPhoto(width: 16, height: 16)
        let servedDuringValidation = Locked<Digest?>(nil)
        runtime.hooks.withLock {
            $0.beforeSwitch = { _ in
                let served = try? runtime.edit(photo, effect: "smile").version.digest
                servedDuringValidation.withLock { $0 = served }
            }
        }
        try runtime.install(new)
        #expect(servedDuringValidation.withLock { $0 } == old.contentDigest)
        #expect(runtime.effect(named: "smile")?.digest == new.contentDigest)
    }

    enum Corruption: String, CaseIterable, CustomTestStringConvertible {
        case flippedDataByte, truncated, otherBackbone, backbonePackage, notAPackage
        var testDescription: String { rawValue }
    }

    @Test("a corrupt or mismatched bank leaves the old version serving",
          arguments: Corruption.allCases)
    func invalidBankLeavesOldVersionServing(_ corruption: Corruption) throws {
        let (backbonePackage, backbone) = try narrowBackbone(seed: 1)
        let (_, other) = try narrowBackbone(seed: 2)
        let good = try randomBank(backbone, seed: 10).package
        let events = EventLog()
        let runtime = FaceletRuntime(backbone: backbone, events: events.handler)
        try runtime.install(good)
        let generation = runtime.snapshot().generation

        let bad: Data
        switch corruption {
        case .flippedDataByte:
            var data = try randomBank(backbone, seed: 11).data
            data[data.count - 8] ^= 0x01  // a mantissa bit: still finite
            bad = data
        case .truncated:
            let data = try randomBank(backbone, seed: 11).data
            bad = data.prefix(data.count - 100)
        case .otherBackbone:
            bad = try randomBank(other, seed: 11).data
        case .backbonePackage:
            bad = try PackageWriter.encode(backbonePackage.manifest,
                                           tensors: backbonePackage.tensors).data
        case .notAPackage:
            bad = Data("not a package at all".utf8)
        }
        #expect {
            try runtime.install(data: bad, as: "smile", source: "test")
        } throws: { error in
            (error as? RuntimeError)?.code == .invalidBank
        }

        let expectedCause: String = switch corruption {
        case .flippedDataByte: "package.digest_mismatch"
        case .truncated: "package.offsets"
        case .otherBackbone: "model.backbone_mismatch"
        case .backbonePackage: "model.wrong_kind"
        case .notAPackage: "package.header_too_large"
        }
        #expect(events.rejections.map { $0.context["cause.code"] } == [expectedCause])
        #expect(runtime.snapshot().generation == generation)
        #expect(runtime.statistics.rejections == 1)
        let served = try runtime.edit(testPhoto(width: 8, height: 8), effect: "smile")
        #expect(served.version.digest == good.contentDigest)
    }

    @Test("installing the digest already installed changes nothing")
    func reinstallingTheSameDigestIsANoOp() throws {
        let (_, backbone) = try narrowBackbone()
        let bank = try randomBank(backbone, seed: 10).package
        let runtime = FaceletRuntime(backbone: backbone)
        let first = try runtime.install(bank)
        let second = try runtime.install(bank)
        #expect(first === second)
        #expect(runtime.snapshot().generation == 1)
        #expect(runtime.statistics == RuntimeStatistics(installs: 1))
    }

    @Test("edits of an effect that is not installed are refused")
    func unknownEffectIsRefused() throws {
        let (_, backbone) = try narrowBackbone()
        let runtime = FaceletRuntime(backbone: backbone)
        #expect {
            _ = try runtime.edit(testPhoto(width: 8, height: 8), effect: "smile")
        } throws: { error in
            (error as? RuntimeError)?.code == .unknownEffect
        }
    }
}
