import FaceletPackage
import FaceletRegistryServer
import FaceletStore
import Foundation
import Testing

@Suite("registry watch")
struct WatchTests {
    @Test("behind the counter, watch answers at once with the audit entries since")
    func answersAtOnce() async throws {
        let served = try ServedRegistry()
        let reply = try await served.request("/v1/watch?since=0&timeout=30")
        #expect(reply.status == 200)
        let document = try JSONDecoder().decode(WatchDocument.self, from: reply.body)
        #expect(document.changeCounter == (try served.store.changeCounter()))
        #expect(document.events.map(\.action) == ["publish", "publish"])
        #expect(document.events.map(\.subject) == ["vgg19-tiny:1", "smile:1"])
        #expect(document.events.last?.detail["digest"]
                    == served.bank.package.contentDigest.description)
    }

    @Test("a long poll answers when a publish happens")
    func answersOnPublish() async throws {
        let served = try ServedRegistry()
        let since = try served.store.changeCounter()
        let bank = try Packages.bank(version: "2", backbone: served.backbone.package.contentDigest,
                                     seed: 40)
        async let watched = served.request("/v1/watch?since=\(since)&timeout=30")
        // Published by another store handle, as another process would.
        let other = try Store.open(at: served.directory)
        try await Task.sleep(nanoseconds: 300_000_000)
        _ = try other.publish(bank.package)
        let reply = try await watched
        #expect(reply.status == 200)
        let document = try JSONDecoder().decode(WatchDocument.self, from: reply.body)
        #expect(document.changeCounter == since + 1)
        #expect(document.events.map(\.subject) == ["smile:2"])
        #expect(document.events.first?.action == "publish")
    }

    @Test("with nothing new a long poll times out empty, even past the connection timeout")
    func timesOutEmpty() async throws {
        let served = try ServedRegistry(connectionTimeoutSeconds: 1)
        let since = try served.store.changeCounter()
        let reply = try await served.request("/v1/watch?since=\(since)&timeout=2")
        #expect(reply.status == 200)
        let document = try JSONDecoder().decode(WatchDocument.self, from: reply.body)
        #expect(document == WatchDocument(changeCounter: since, events: []))
    }

    @Test("a malformed since or timeout is 400", arguments: [
        "since=-1", "since=abc", "since=1&timeout=x", "since=99999999999999999999",
    ])
    func badParameters(_ query: String) async throws {
        let served = try ServedRegistry()
        let reply = try await served.request("/v1/watch?" + query)
        #expect(reply.status == 400)
        #expect(reply.errorCode == "remote.bad_request")
    }
}
