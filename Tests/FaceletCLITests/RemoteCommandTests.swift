import FaceletCLI
import Foundation
import Testing

extension CLIFixture {
    /// Runs one command line like `run(_:)`, with extra environment variables.
    func run(_ args: [String], environment: [String: String]) -> RunResult {
        let io = CommandIO.capturing(environment: environment.merging(["HOME": folder.path]) {
            $1
        }, workingDirectory: folder.path)
        let status = FaceletCommandLine.run(["--store", store] + args, io: io)
        return RunResult(status: status, stdout: io.standardOutput, stderr: io.standardError)
    }

    /// A store with backbone vgg-narrow:1 and bank beard:1, mirrored to `<folder>/mirror`;
    /// returns the mirror's file:// URL.
    func mirroredStore() throws -> String {
        try storeWithBackbone()
        _ = try json("new-bank", "beard", "--backbone", "vgg-narrow", "-o", path("beard.fbk"))
        _ = try json("publish", path("beard.fbk"))
        let mirrored = try json("mirror", path("mirror"))
        #expect(mirrored["versions"] as? Int == 2)
        return "file://" + path("mirror")
    }
}

/// `pull`, `outdated`, `mirror` and `publish --to` on the command line.
@Suite struct RemoteCommandTests {
    @Test func pullFromAMirrorFolderBringsTheBankAndItsBackbone() throws {
        let source = try CLIFixture()
        let url = try source.mirroredStore()
        let target = try CLIFixture()
        #expect(target.run("init").status == 0)

        let pulled = try target.json("pull", "beard", "--from", url)
        #expect(pulled["reference"] as? String == "beard:1")
        #expect(pulled["new"] as? Bool == true)
        #expect(pulled["remote"] as? String == url)
        let backbone = pulled["backbone"] as? [String: Any]
        #expect(backbone?["reference"] as? String == "vgg-narrow:1")
        let sourceList = source.run("list", "--json").stdout
        #expect(target.run("list", "--json").stdout == sourceList)
        #expect(target.run("verify").status == 0)

        let again = try target.json("pull", "beard:1", "--from", url)
        #expect(again["new"] as? Bool == false)
        #expect(again["downloaded_blobs"] as? Int == 0)
        let text = target.run("pull", "beard", "--from", url)
        #expect(text.stdout == "beard:1  \(pulled["digest"] as? String ?? "")  already present\n")
    }

    @Test func remoteNamedInRegistryJSONIsUsedByDefault() throws {
        let source = try CLIFixture()
        let url = try source.mirroredStore()
        let target = try CLIFixture()
        #expect(target.run("init").status == 0)
        let config = "{\"remotes\": {\"default\": {\"url\": \"\(url)\"}}}"
        try config.write(toFile: target.store + "/registry.json", atomically: true,
                         encoding: .utf8)

        let pulled = try target.json("pull", "vgg-narrow")
        #expect(pulled["reference"] as? String == "vgg-narrow:1")
        let unknown = target.run("pull", "vgg-narrow", "--from", "nowhere", "--json")
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("\"code\":\"remote.bad_remote\""))
        #expect(unknown.stderr.contains("default"))
    }

    @Test func outdatedListsTagsThatMovedOnTheRemote() throws {
        let source = try CLIFixture()
        let url = try source.mirroredStore()
        let target = try CLIFixture()
        #expect(target.run("init").status == 0)
        _ = try target.json("pull", "beard", "--from", url)
        #expect(try target.json("outdated", "--from", url)["outdated"] as? [Any] != nil)
        #expect((try target.json("outdated", "--from", url)["outdated"] as? [Any])?.isEmpty
                    == true)

        _ = try source.json("new-bank", "beard", "--backbone", "vgg-narrow", "--version", "2",
                            "--seed", "9", "-o", source.path("beard2.fbk"))
        _ = try source.json("publish", source.path("beard2.fbk"))
        _ = try source.json("mirror", source.path("mirror"))

        let report = try target.json("outdated", "--from", url)
        let rows = report["outdated"] as? [[String: String]]
        #expect(rows?.count == 1)
        #expect(rows?.first?["name"] == "beard" && rows?.first?["tag"] == "latest")
        #expect(rows?.first?["local"] == "1" && rows?.first?["remote"] == "2")
        #expect(rows?.first?["local_digest"] != rows?.first?["remote_digest"])
        let text = target.run("outdated", "--from", url)
        #expect(text.stdout.contains("beard@latest"))
    }

    @Test func mirrorRefusesAnEmptyFolderName() throws {
        let fixture = try CLIFixture()
        try fixture.storeWithBackbone()
        let refused = fixture.run("mirror", "")
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("an empty path is refused"))
        #expect(!FileManager.default.fileExists(atPath: fixture.folder.path + "/v1"))
    }

    @Test func outdatedSeesTheSameVersionWithOtherContent() throws {
        let source = try CLIFixture()
        let url = try source.mirroredStore()
        let target = try CLIFixture()
        #expect(target.run("init").status == 0)
        _ = try target.json("pull", "vgg-narrow", "--from", url)
        _ = try target.json("new-bank", "beard", "--backbone", "vgg-narrow", "--seed", "77",
                            "-o", target.path("beard-other.fbk"))
        let published = try target.json("publish", target.path("beard-other.fbk"))

        let report = try target.json("outdated", "--from", url)
        let rows = report["outdated"] as? [[String: String]]
        #expect(rows?.count == 1)
        #expect(rows?.first?["local"] == "1" && rows?.first?["remote"] == "1")
        #expect(rows?.first?["local_digest"] == published["digest"] as? String)
        let remoteDigest = try source.json("show", "beard:1")["digest"] as? String
        #expect(rows?.first?["remote_digest"] == remoteDigest)
        #expect(remoteDigest != published["digest"] as? String)
        let text = target.run("outdated", "--from", url).stdout
        #expect(text.contains("beard@latest"))
        #expect(text.contains("(" + String((remoteDigest ?? "").dropFirst(7).prefix(12)) + ")"))
    }

    @Test func refusedPullLeavesTheCatalogueUnchanged() throws {
        let source = try CLIFixture()
        let url = try source.mirroredStore()
        let documents = source.path("mirror") + "/v1/versions/sha256"
        for name in try FileManager.default.contentsOfDirectory(atPath: documents) {
            let path = documents + "/" + name
            let text = try String(contentsOfFile: path, encoding: .utf8)
            try text.replacingOccurrences(of: "\"version\":\"1\"", with: "\"version\":\"1x\"")
                .write(toFile: path, atomically: true, encoding: .utf8)
        }
        let target = try CLIFixture()
        #expect(target.run("init").status == 0)
        let before = try target.snapshot()

        let refused = target.run("pull", "beard", "--from", url, "--json")
        #expect(refused.status == 1)
        #expect(refused.stdout == "")
        #expect(refused.stderr.contains("\"code\":\"remote.bad_response\""))
        #expect(try target.snapshot() == before)
    }

    @Test func mirrorAgainWritesNothingNew() throws {
        let source = try CLIFixture()
        _ = try source.mirroredStore()
        let again = try source.json("mirror", source.path("mirror"))
        #expect(again["blobs_written"] as? Int == 0)
        #expect(again["documents_written"] as? Int == 0)
        #expect((again["blobs_kept"] as? Int ?? 0) > 0)
    }

    @Test func publishToAMirrorFolderIsRefused() throws {
        let fixture = try CLIFixture()
        let url = try fixture.mirroredStore()
        let result = fixture.run("publish", fixture.path("beard.fbk"), "--to", url, "--json")
        #expect(result.status == 1)
        #expect(result.stderr.contains("\"code\":\"remote.bad_remote\""))
    }

    @Test func tokenNeverAppearsInOutput() throws {
        let fixture = try CLIFixture()
        #expect(fixture.run("init").status == 0)
        // Nothing listens on port 9 of loopback: the pull fails after sending nothing.
        let secret = "tok-3f9a-very-secret"
        for args in [["pull", "beard", "--from", "http://127.0.0.1:9"],
                     ["pull", "beard", "--from", "http://127.0.0.1:9", "--json"],
                     ["outdated", "--from", "http://127.0.0.1:9", "--json"]] {
            let result = fixture.run(args, environment: ["FACELET_TOKEN": secret])
            #expect(result.status == 1)
            #expect(result.stderr.contains("remote.connection") || !args.contains("--json"))
            #expect(!(result.stdout + result.stderr).contains(secret))
        }
        let credentials = fixture.run(["pull", "beard", "--from",
                                       "http://me:\(secret)@127.0.0.1:9"], environment: [:])
        #expect(credentials.status == 1)
        #expect(!credentials.stderr.contains(secret))
    }

    @Test func helpDescribesTheRemoteCommands() throws {
        let fixture = try CLIFixture()
        #expect(fixture.run("pull", "--help").stdout.contains("--no-resume"))
        #expect(fixture.run("outdated", "--help").stdout.contains("--from REMOTE"))
        #expect(fixture.run("mirror", "--help").stdout.contains("DIR/v1/index"))
        #expect(fixture.run("publish", "--help").stdout.contains("--to REMOTE"))
        let overview = fixture.run("--help").stdout
        #expect(overview.contains("pull") && overview.contains("mirror"))
    }
}
