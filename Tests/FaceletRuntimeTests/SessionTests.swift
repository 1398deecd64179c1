import FaceletImaging
import FaceletModel
import FaceletPackage
@testable import FaceletRuntime
import Foundation
import Testing

@Suite("Interactive sessions")
struct SessionTests {
    @Test("a new strength re-runs only the decoder; a swap prepares Δv for the new bank")
    func sessionCacheIsKeyedByDigest() throws {
        let (_, backbone) = try narrowBackbone()
        let old = try randomBank(backbone, seed: 10).package
        let new = try randomBank(backbone, seed: 11).package
        let runtime = FaceletRuntime(backbone: backbone)
        try runtime.install(old)
        let photo = testPhoto(width: 22, height: 17)

        let info = try runtime.openSession(photo, effect: "smile")
        #expect(info.version.digest == old.contentDigest)
        #expect((info.width, info.height) == (22, 17))
        for strength in [0.5, 1.5, -0.5] {
            let render = try runtime.renderSession(info.id, strength: strength)
            #expect(!render.prepared)
            #expect(render.result.version.digest == old.contentDigest)
            #expect(render.result.image == (try directEdit(photo, backbone: backbone, bank: old,
                                                           strength: strength)))
        }

        try runtime.install(new)
        let afterSwap = try runtime.renderSession(info.id, strength: 0.5)
        #expect(afterSwap.prepared)
        #expect(afterSwap.result.version.digest == new.contentDigest)
        #expect(afterSwap.result.image == (try directEdit(photo, backbone: backbone, bank: new,
                                                          strength: 0.5)))
        let again = try runtime.renderSession(info.id, strength: 1)
        #expect(!again.prepared)
        #expect(again.result.image == (try directEdit(photo, backbone: backbone, bank: new,
                                                      strength: 1)))
    }

    @Test("a session whose effect was removed, or that was closed, is refused")
    func removedEffectAndClosedSessionAreRefused() throws {
        let (_, backbone) = try narrowBackbone()
        let runtime = FaceletRuntime(backbone: backbone)
        try runtime.install(try randomBank(backbone, seed: 10).package)
        let info = try runtime.openSession(testPhoto(width: 8, height: 8), effect: "smile")
        runtime.remove("smile")
        #expect {
            _ = try runtime.renderSession(info.id, strength: 1)
        } throws: { error in
            (error as? RuntimeError)?.code == .unknownEffect
        }
        #expect(runtime.closeSession(info.id))
        #expect(!runtime.closeSession(info.id))
        #expect {
            _ = try runtime.renderSession(info.id, strength: 1)
        } throws: { error in
            (error as? RuntimeError)?.code == .unknownSession
        }
    }

    @Test("a session idle for longer than the limit is dropped at the next open")
    func idleSessionsExpire() throws {
        let (_, backbone) = try narrowBackbone()
        let runtime = FaceletRuntime(backbone: backbone,
                                     sessionLimits: .init(idleSeconds: 10))
        try runtime.install(try randomBank(backbone, seed: 10).package)
        let photo = testPhoto(width: 8, height: 8)
        let clock = runtime.sessions.testClock
        clock.withLock { $0 = 1_000_000_000 }
        let idle = try runtime.openSession(photo, effect: "smile")
        let used = try runtime.openSession(photo, effect: "smile")
        clock.withLock { $0 = 6_000_000_000 }
        _ = try runtime.renderSession(used.id)
        clock.withLock { $0 = 11_000_000_001 }  // idle: 10 s + 1 ns unused; used: 5 s
        let fresh = try runtime.openSession(photo, effect: "smile")
        #expect(runtime.sessions.count == 2)
        #expect(throws: RuntimeError.self) { try runtime.renderSession(idle.id) }
        #expect(try runtime.renderSession(used.id).result.version.version == "10")
        #expect(try runtime.renderSession(fresh.id).result.version.version == "10")
    }

    @Test("at capacity the least recently used session is dropped")
    func leastRecentlyUsedSessionIsEvicted() throws {
        let (_, backbone) = try narrowBackbone()
        let runtime = FaceletRuntime(backbone: backbone,
                                     sessionLimits: .init(maximumSessions: 2))
        try runtime.install(try randomBank(backbone, seed: 10).package)
        let photo = testPhoto(width: 8, height: 8)
        let first = try runtime.openSession(photo, effect: "smile")
        let second = try runtime.openSession(photo, effect: "smile")
        _ = try runtime.renderSession(first.id, strength: 1)  // second is now the oldest
        let third = try runtime.openSession(photo, effect: "smile")
        #expect(runtime.sessions.count == 2)
        #expect(throws: RuntimeError.self) { try runtime.renderSession(second.id) }
        #expect(try runtime.renderSession(first.id).result.version.version == "10")
        #expect(try runtime.renderSession(third.id).result.version.version == "10")
        // Photo (8·8·3 floats) plus ψ(x) and Δv of a 16×16 padded photo, 4 bytes a float.
        let psi = 16 * 4 * 4 + 32 * 2 * 2 + 32 * 1 * 1
        #expect(runtime.sessions.residentBytes == 2 * (8 * 8 * 3 + 2 * psi) * 4)
    }
}
