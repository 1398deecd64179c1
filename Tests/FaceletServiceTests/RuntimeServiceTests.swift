import FaceletImaging
import FaceletModel
import FaceletPackage
import FaceletRuntime
import FaceletService
import FaceletStore
import Foundation
import Testing

@Suite("serve-runtime service")
struct RuntimeServiceTests {
    @Test("serves the followed tag's version from the store and swaps when the tag moves")
    func servesFollowedReferenceAndSwaps() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("facelet-service-tests-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try Store.create(at: directory)
        let backbonePackage = try RandomWeights.backbone(.vgg19(width: 1 / 16.0), seed: 1,
                                                         name: "narrow").package
        _ = try store.publish(backbonePackage)
        let backbone = try Backbone(package: backbonePackage)
        let v1 = try RandomWeights.bank(for: backbone, seed: 1, name: "smile", version: "1")
        let v2 = try RandomWeights.bank(for: backbone, seed: 2, name: "smile", version: "2")
        _ = try store.publish(v1.package)
        _ = try store.publish(v2.package)
        try store.tag(try Reference(parsing: "smile:1"), as: "stable")

        let lines = LogLines()
        let service = try RuntimeService(storeDirectory: directory,
                                         follow: [try Reference(parsing: "smile@stable")],
                                         listen: .init(host: "127.0.0.1", port: 0),
                                         pollInterval: 60, log: lines.append)
        let port = try service.start()
        defer { service.stop() }
        #expect(service.runtime.backbone.contentDigest == backbonePackage.contentDigest)
        let client = LoopbackClient(port: port)
        let (png, _) = try ServedRuntime.photo()

        let first = try client.send("POST", "/v1/effects/smile/edit", body: png)
        #expect(first.status == 200)
        #expect(first.headers["facelet-effect-digest"] == v1.package.contentDigest.description)

        try store.tag(try Reference(parsing: "smile:2"), as: "stable")
        // The background poll waits 60 s between checks; check now instead of waiting (its
        // first check may also see the move: either way the tag's version is installed).
        service.follower.checkNow()
        #expect(service.runtime.effect(named: "smile")?.version.version == "2")
        let second = try client.send("POST", "/v1/effects/smile/edit", body: png)
        #expect(second.headers["facelet-effect-digest"] == v2.package.contentDigest.description)
        #expect(lines.all.contains { $0.hasPrefix("runtime.replaced smile") })
    }

    @Test("a store without the followed bank is refused at setup")
    func missingReferenceIsRefused() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("facelet-service-tests-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try Store.create(at: directory)
        #expect {
            _ = try RuntimeService(storeDirectory: directory,
                                   follow: [try Reference(parsing: "smile")])
        } throws: { error in
            (error as? ServiceError)?.code == .setupFailed
        }
    }
}

/// Collects log lines.
final class LogLines: @unchecked Sendable {
    // @unchecked Sendable: `lines` is only touched with `lock` held.
    private let lock = NSLock()
    private var lines: [String] = []

    var append: @Sendable (String) -> Void {
        { [self] line in
            lock.lock()
            lines.append(line)
            lock.unlock()
        }
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }
}
