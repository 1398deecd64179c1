import FaceletModel
import FaceletPackage
@testable import FaceletRuntime
import FaceletStore
import Foundation
import Testing

@Suite("Following store references")
struct StoreFollowerTests {
    /// A store holding the narrow backbone, and a runtime on it.
    struct Fixture {
        let directory: TemporaryDirectory
        let store: Store
        let backbone: Backbone
        let runtime: FaceletRuntime
        let events: EventLog

        init() throws {
            directory = try TemporaryDirectory()
            store = try Store.create(at: directory.url)
            let (package, backbone) = try narrowBackbone()
            _ = try store.publish(package)
            self.backbone = backbone
            events = EventLog()
            runtime = FaceletRuntime(backbone: backbone, events: events.handler)
        }

        @discardableResult
        func publish(seed: UInt64, on backbone: Backbone? = nil) throws -> Package {
            let package = try randomBank(backbone ?? self.backbone, seed: seed).package
            _ = try store.publish(package)
            return package
        }
    }

    @Test("a tag move swaps; a check with no store change resolves nothing")
    func followsATagThroughTheChangeCounter() throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        let v1 = try fixture.publish(seed: 1)
        try fixture.store.tag(try Reference(parsing: "smile:1"), as: "stable")
        let follower = StoreFollower(store: fixture.store,
                                     references: [try Reference(parsing: "smile@stable")],
                                     runtime: fixture.runtime)

        let first = follower.checkNow()
        #expect(first.counterMoved && first.swapped.map(\.digest) == [v1.contentDigest])
        #expect(follower.checkNow() == StoreFollower.Check(counterMoved: false))
        #expect(follower.resolutions == 1)

        // A new version that the tag does not name: resolved, nothing swapped.
        try fixture.publish(seed: 2)
        #expect(follower.checkNow() == StoreFollower.Check(counterMoved: true))
        #expect(fixture.runtime.effect(named: "smile")?.digest == v1.contentDigest)

        let v3 = try fixture.publish(seed: 3)
        try fixture.store.tag(try Reference(parsing: "smile:3"), as: "stable")
        let moved = follower.checkNow()
        #expect(moved.swapped.map(\.version) == ["3"])
        #expect(fixture.runtime.effect(named: "smile")?.digest == v3.contentDigest)
        #expect(follower.resolutions == 3)
        #expect(fixture.runtime.statistics == RuntimeStatistics(installs: 1, replacements: 1))
    }

    @Test("following the latest version swaps on every publish")
    func followsLatest() throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        let follower = StoreFollower(store: fixture.store,
                                     references: [try Reference(parsing: "smile")],
                                     runtime: fixture.runtime)
        try fixture.publish(seed: 1)
        #expect(follower.checkNow().swapped.map(\.version) == ["1"])
        try fixture.publish(seed: 2)
        #expect(follower.checkNow().swapped.map(\.version) == ["2"])
    }

    @Test("a damaged version leaves the installed one serving")
    func damagedVersionIsRefused() throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        let good = try fixture.publish(seed: 1)
        let follower = StoreFollower(store: fixture.store,
                                     references: [try Reference(parsing: "smile")],
                                     runtime: fixture.runtime)
        follower.checkNow()

        let damaged = try fixture.publish(seed: 2)
        // (Biases are all zero, and shared by every version: damage a weight.)
        let weight = try #require(damaged.tensors.first { $0.name.hasSuffix("weight") })
        let blob = weight.sha256.hex
        let path = fixture.directory.url
            .appendingPathComponent("blobs/sha256/\(blob.prefix(2))/\(blob)")
        try Data(repeating: 0, count: weight.bytes.count).write(to: path)

        let check = follower.checkNow()
        #expect(check.failed == ["smile"] && check.swapped.isEmpty)
        #expect(fixture.runtime.effect(named: "smile")?.digest == good.contentDigest)
        #expect(fixture.events.rejections.map { $0.context["cause.code"] }
                    == ["store.integrity"])
        // Refused once per store change, not at every poll.
        #expect(follower.checkNow() == StoreFollower.Check(counterMoved: false))
    }

    @Test("a version bound to another backbone leaves the installed one serving")
    func mismatchedVersionIsRefused() throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        let good = try fixture.publish(seed: 1)
        let follower = StoreFollower(store: fixture.store,
                                     references: [try Reference(parsing: "smile")],
                                     runtime: fixture.runtime)
        follower.checkNow()

        let (otherPackage, other) = try narrowBackbone(seed: 2)
        _ = try fixture.store.publish(otherPackage)
        try fixture.publish(seed: 2, on: other)
        let check = follower.checkNow()
        #expect(check.failed == ["smile"])
        #expect(fixture.runtime.effect(named: "smile")?.digest == good.contentDigest)
        #expect(fixture.events.rejections.map { $0.context["cause.code"] }
                    == ["model.backbone_mismatch"])
    }

    @Test("a reference that stops resolving leaves the installed version serving")
    func removedPackageKeepsServing() throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        let good = try fixture.publish(seed: 1)
        let follower = StoreFollower(store: fixture.store,
                                     references: [try Reference(parsing: "smile")],
                                     runtime: fixture.runtime)
        follower.checkNow()
        try fixture.store.remove(try Reference(parsing: "smile:1"))
        #expect(follower.checkNow().failed == ["smile"])
        #expect(fixture.runtime.effect(named: "smile")?.digest == good.contentDigest)
    }

    @Test("start and stop run checks on a background thread")
    func backgroundPollingStartsAndStops() throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        try fixture.publish(seed: 1)
        let installed = DispatchSemaphore(value: 0)
        let runtime = FaceletRuntime(backbone: fixture.backbone, events: { event in
            if case .installed = event { installed.signal() }
        })
        let follower = StoreFollower(store: fixture.store,
                                     references: [try Reference(parsing: "smile")],
                                     runtime: runtime, pollInterval: 0.01)
        follower.start()
        #expect(installed.wait(timeout: .now() + 60) == .success)
        follower.stop()
        #expect(runtime.effect(named: "smile")?.version.version == "1")
    }
}
