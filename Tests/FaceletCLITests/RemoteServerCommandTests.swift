import FaceletCLI
import FaceletRegistryServer
import FaceletStore
import Foundation
import Testing

/// `publish --to`, `pull` and `outdated` against the real registry server, run in-process on
/// loopback (`RegistryServer` directly: the `serve` command's signal handling stays out of it).
@Suite struct RemoteServerCommandTests {
    @Test func publishToThenPullFromTheServer() throws {
        let serverSide = try CLIFixture()
        #expect(serverSide.run("init").status == 0)
        let served = try Store.open(at: URL(fileURLWithPath: serverSide.store))
        let server = try RegistryServer(store: served,
                                        configuration: .init(token: "team-token-42"))
        let port = try server.start()
        defer { server.stop() }
        let url = "http://127.0.0.1:\(port)"

        let author = try CLIFixture()
        #expect(author.run("init").status == 0)
        _ = try author.json("new-backbone", "--width", "0.0625", "--seed", "3", "--name",
                            "vgg-narrow", "-o", author.path("backbone.fbb"))
        _ = try author.json("keygen", "me", "-o", author.path("keys"))
        let config = "{\"remotes\": {\"team\": {\"url\": \"\(url)\", "
            + "\"token_env\": \"TEAM_TOKEN\"}}}"
        try config.write(toFile: author.path("registry.json"), atomically: true,
                         encoding: .utf8)
        let publish = ["--config", author.path("registry.json"), "publish",
                       author.path("backbone.fbb"), "--to", "team", "--sign",
                       author.path("keys/me.key"), "--json"]

        let refused = author.run(publish, environment: ["TEAM_TOKEN": "wrong-token-17"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("\"code\":\"remote.unauthorized\""))
        #expect(refused.stderr.contains("TEAM_TOKEN"))
        #expect(!refused.stderr.contains("wrong-token-17"))
        #expect(try served.list().isEmpty)

        let uploaded = author.run(publish, environment: ["TEAM_TOKEN": "team-token-42"])
        #expect(uploaded.status == 0)
        let answer = try uploaded.json()
        #expect(answer["reference"] as? String == "vgg-narrow:1")
        #expect(answer["new"] as? Bool == true)
        #expect((answer["signatures"] as? [String])?.count == 1)
        // The author's own store is not changed by --to.
        #expect(author.run("list", "--json").stdout == "{\"packages\":[]}\n")

        let reader = try CLIFixture()
        #expect(reader.run("init").status == 0)
        let pulled = try reader.json("pull", "vgg-narrow", "--from", url)
        #expect(pulled["digest"] as? String == answer["digest"] as? String)
        #expect((pulled["signatures"] as? [String]) == (answer["signatures"] as? [String]))
        let outdated = try reader.json("outdated", "--from", url)
        #expect((outdated["outdated"] as? [Any])?.isEmpty == true)
    }
}
