import FaceletCLI
import FaceletService
import Foundation
import Testing

/// What a background `serve` run left behind.
private final class ServeRun: @unchecked Sendable {
    // @unchecked Sendable: `status` is written once before `done` is signalled and read only
    // after waiting on it.
    var status: Int32 = -1
    let done = DispatchSemaphore(value: 0)
}

/// `serve` sets the process's SIGINT/SIGTERM dispositions while it runs, so its runs do not
/// overlap.
@Suite(.serialized) struct RegistryServeCommandTests {
    @Test func servesTheStoreAndStopsOnInterrupt() throws {
        let fixture = try CLIFixture()
        let backbone = try fixture.storeWithBackbone()
        let io = CommandIO.capturing(environment: ["HOME": fixture.folder.path,
                                                   "FACELET_TOKEN": "cli-secret-token"],
                                     workingDirectory: fixture.folder.path)
        let run = ServeRun()
        let args = ["--store", fixture.store, "serve", "--listen", "127.0.0.1:0",
                    "--max-upload-mb", "1"]
        Thread.detachNewThread {
            run.status = FaceletCommandLine.run(args, io: io)
            run.done.signal()
        }
        var port: UInt16?
        for _ in 0..<600 where port == nil {
            if let line = io.standardOutput.split(separator: "\n").first,
               line.hasPrefix("serving on http://127.0.0.1:") {
                port = UInt16(line.dropFirst("serving on http://127.0.0.1:".count))
            } else if run.done.wait(timeout: .now() + 0.1) == .success {
                run.done.signal()
                break
            }
        }
        let bound = try #require(port, "no serving line; stderr: \(io.standardError)")

        let index = try LoopbackClient(port: bound).send("GET", "/v1/index")
        #expect(index.status == 200)
        let object = try JSONSerialization.jsonObject(with: index.body) as? [String: Any]
        let packages = object?["packages"] as? [[String: Any]]
        let versions = packages?.first?["versions"] as? [[String: Any]]
        #expect(versions?.first?["digest"] as? String == backbone)
        let refused = try LoopbackClient(port: bound).send(
            "POST", "/v1/publish", body: Data(count: 2 << 20),
            headers: [("Authorization", "Bearer cli-secret-token")], expectContinue: true)
        #expect(refused.status == 413)

        io.interrupt()
        #expect(run.done.wait(timeout: .now() + 120) == .success)
        #expect(run.status == 0)
        #expect(io.standardOutput == "serving on http://127.0.0.1:\(bound)\n")
        let logLines = io.standardError.split(separator: "\n")
        #expect(logLines.count == 2)
        #expect(logLines.allSatisfy { $0.hasPrefix("facelet-registry: registry: {") })
        #expect(!io.standardError.contains("cli-secret-token"))
        #expect(throws: LoopbackClient.Failure.self) {
            try LoopbackClient(port: bound, timeoutSeconds: 5).send("GET", "/healthz")
        }
    }

    @Test func jsonModePrintsTheServingObjectWithoutTheToken() throws {
        let fixture = try CLIFixture()
        #expect(fixture.run("init").status == 0)
        let io = CommandIO.capturing(environment: ["HOME": fixture.folder.path,
                                                   "FACELET_TOKEN": "cli-secret-token"],
                                     workingDirectory: fixture.folder.path)
        io.interrupt()  // asked to stop before it starts: serves, prints, stops at once
        let status = FaceletCommandLine.run(["--store", fixture.store, "--json", "serve",
                                             "--listen", "127.0.0.1:0", "--read-token"], io: io)
        #expect(status == 0, "\(io.standardError)")
        let object = try JSONSerialization.jsonObject(
            with: Data(io.standardOutput.utf8)) as? [String: Any]
        let port = try #require(object?["port"] as? Int)
        #expect(object?["serving"] as? String == "http://127.0.0.1:\(port)")
        #expect(object?["publishing"] as? Bool == true)
        #expect(object?["read_token"] as? Bool == true)
        #expect(!io.standardOutput.contains("cli-secret-token"))
    }

    @Test func argumentErrors() throws {
        let fixture = try CLIFixture()
        #expect(fixture.run("init").status == 0)
        let readToken = fixture.run("serve", "--listen", "127.0.0.1:0", "--read-token")
        #expect(readToken.status == 2)
        #expect(readToken.stderr == "facelet-registry: error: serve: --read-token needs the"
                    + " token in $FACELET_TOKEN\n")
        let badCap = fixture.run("serve", "--max-upload-mb", "0")
        #expect(badCap.status == 2)
        #expect(badCap.stderr.contains("--max-upload-mb needs a whole number"))
        let badListen = fixture.run("--json", "serve", "--listen", "nowhere")
        #expect(badListen.status == 1)
        #expect(badListen.stderr.contains("\"code\":\"registry.bad_address\""))
    }
}
