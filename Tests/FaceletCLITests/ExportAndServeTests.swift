import FaceletCLI
import FaceletService
import Foundation
import Testing

@Suite struct ExportFormatTests {
    @Test func defaultFormatIsThePackageWithItsContentDigest() throws {
        let fixture = try CLIFixture()
        let (_, bank) = try fixture.storeWithOriginalRelease()
        let exported = try fixture.json("export", "facehair:1", "-o", fixture.path("copy.fbk"))
        #expect(exported["digest"] as? String == bank["digest"] as? String)
        let stored = try Data(contentsOf: URL(fileURLWithPath: fixture.path("facehair.fbk")))
        let copy = try Data(contentsOf: URL(fileURLWithPath: fixture.path("copy.fbk")))
        #expect(copy == stored)
        let explicit = fixture.run("export", "facehair:1", "--format", "facelet",
                                   "-o", fixture.path("copy2.fbk"))
        #expect(explicit.status == 0)
    }

    /// Every Python format and naming of the bank re-imports to the same tensors.
    @Test(arguments: [("safetensors", "facelet"), ("safetensors", "original"),
                      ("pytorch", "facelet"), ("pytorch", "original")])
    func bankExportReimportsToEqualTensors(format: String, naming: String) throws {
        let fixture = try CLIFixture()
        _ = try fixture.storeWithOriginalRelease()
        let file = fixture.path("facehair-export.\(format == "pytorch" ? "pth" : "safetensors")")
        let exported = try fixture.json("export", "facehair:1", "--format", format,
                                        "--naming", naming, "-o", file)
        #expect(exported["format"] as? String == format)
        #expect(exported["tensors"] as? Int == 18)
        #expect(exported["bytes"] as? Int ?? 0 > 0)
        let again = try fixture.json("import", file, "--backbone", "facelet-original:1",
                                     "--as", "facehair:2", "--publish")
        let layout = naming == "original" ? "original-bank" : "facelet"
        #expect((again["sources"] as? [[String: Any]])?.first?["layout"] as? String == layout)
        #expect(try fixture.tensorDigests("facehair:2") == fixture.tensorDigests("facehair:1"))
    }

    @Test func backboneHalvesInOriginalNamesReimportToTheSameBackbone() throws {
        let fixture = try CLIFixture()
        _ = try fixture.storeWithOriginalRelease()
        for part in ["encoder", "decoder"] {
            let exported = try fixture.json("export", "facelet-original:1", "--format", "pytorch",
                                            "--naming", "original", "--part", part,
                                            "-o", fixture.path("\(part).pth"))
            #expect(exported["part"] as? String == part)
        }
        _ = try fixture.json("import", fixture.path("encoder.pth"), fixture.path("decoder.pth"),
                             "--as", "facelet-original:2", "--publish")
        #expect(try fixture.tensorDigests("facelet-original:2")
            == fixture.tensorDigests("facelet-original:1"))
    }

    @Test func badExportOptionsAreUsageErrorsAndWriteNothing() throws {
        let fixture = try CLIFixture()
        _ = try fixture.storeWithOriginalRelease()
        let cases: [([String], String)] = [
            (["--format", "onnx"], "unknown --format 'onnx'"),
            (["--naming", "keras", "--format", "pytorch"], "unknown --naming 'keras'"),
            (["--part", "head", "--format", "pytorch"], "unknown --part 'head'"),
            (["--naming", "original"], "--naming and --part apply to --format"),
        ]
        for (extra, message) in cases {
            let result = fixture.run(["export", "facehair:1", "-o", fixture.path("x")] + extra)
            #expect(result.status == 2, "\(extra)")
            #expect(result.stderrLines.count == 1)
            #expect(result.stderr.contains(message), "\(result.stderr)")
        }
        // A naming that cannot express the tensors is a user error naming a fix.
        let decoder = fixture.run("export", "facelet-original:1", "--format", "safetensors",
                                  "--naming", "torchvision", "-o", fixture.path("x"))
        #expect(decoder.status == 1)
        #expect(decoder.stderrLines.count == 1)
        #expect(decoder.stderr.contains("choose a part"))
        let bankHalf = fixture.run("export", "facehair:1", "--format", "pytorch",
                                   "--part", "encoder", "-o", fixture.path("x"))
        #expect(bankHalf.status == 1)
        #expect(bankHalf.stderr.contains("facehair:1 is a bank"))
        #expect(!FileManager.default.fileExists(atPath: fixture.path("x")))
    }
}

/// What a background `serve-runtime` run left behind.
private final class BackgroundRun: @unchecked Sendable {
    // @unchecked Sendable: `status` is written once before `done` is signalled and read
    // only after waiting on it.
    var status: Int32 = -1
    let done = DispatchSemaphore(value: 0)
}

/// `serve-runtime` sets process-wide state while it runs (signal dispositions, the compute
/// thread count), so its runs do not overlap.
@Suite(.serialized) struct ServeRuntimeCommandTests {
    @Test func servesHealthzOnAnEphemeralPortAndStopsOnInterrupt() throws {
        EngineThreadCount.lock.lock()
        defer { EngineThreadCount.lock.unlock() }
        let fixture = try CLIFixture()
        _ = try fixture.storeWithOriginalRelease()
        let io = CommandIO.capturing(environment: ["HOME": fixture.folder.path],
                                     workingDirectory: fixture.folder.path)
        let run = BackgroundRun()
        let args = ["--store", fixture.store, "serve-runtime", "--listen", "127.0.0.1:0",
                    "--follow", "facehair"]
        Thread.detachNewThread {
            run.status = FaceletCommandLine.run(args, io: io)
            run.done.signal()
        }

        // Wait for the "serving on" line (the command prints it once the server listens).
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
        #expect(bound != 0)

        let health = try LoopbackClient(port: bound).send("GET", "/healthz")
        #expect(health.status == 200)
        let object = try JSONSerialization.jsonObject(with: health.body) as? [String: Any]
        #expect(object?["status"] as? String == "ok")
        #expect(object?["effects"] as? Int == 1)
        let effects = try LoopbackClient(port: bound).send("GET", "/v1/effects")
        #expect(String(decoding: effects.body, as: UTF8.self).contains("\"facehair\""))

        io.interrupt()
        #expect(run.done.wait(timeout: .now() + 120) == .success)
        #expect(run.status == 0)
        #expect(io.standardOutput == "serving on http://127.0.0.1:\(bound)\n")
        // Stopped: nothing listens on the port any more.
        #expect(throws: LoopbackClient.Failure.self) {
            try LoopbackClient(port: bound, timeoutSeconds: 5).send("GET", "/healthz")
        }
    }

    @Test func jsonModePrintsTheServingObject() throws {
        EngineThreadCount.lock.lock()
        defer { EngineThreadCount.lock.unlock() }
        let fixture = try CLIFixture()
        _ = try fixture.storeWithOriginalRelease()
        let io = CommandIO.capturing(environment: ["HOME": fixture.folder.path],
                                     workingDirectory: fixture.folder.path)
        io.interrupt()  // asked to stop before it starts: serves, prints, stops at once
        let status = FaceletCommandLine.run(["--store", fixture.store, "--json", "serve-runtime",
                                             "--listen", "127.0.0.1:0",
                                             "--follow", "facehair:1"], io: io)
        #expect(status == 0, "\(io.standardError)")
        let lines = io.standardOutput.split(separator: "\n")
        let serving = try #require(lines.compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }.first { $0["serving"] != nil })
        let port = try #require(serving["port"] as? Int)
        #expect(port > 0)
        #expect(serving["serving"] as? String == "http://127.0.0.1:\(port)")
        #expect(serving["effects"] as? [String] == ["facehair:1"])
    }

    @Test func argumentErrors() throws {
        EngineThreadCount.lock.lock()
        defer { EngineThreadCount.lock.unlock() }
        let fixture = try CLIFixture()
        _ = try fixture.storeWithOriginalRelease()
        let noFollow = fixture.run("serve-runtime", "--listen", "127.0.0.1:0")
        #expect(noFollow.status == 2)
        #expect(noFollow.stderr == "facelet-registry: error: serve-runtime needs at least one "
            + "--follow REF (a bank to serve)\n")
        let badListen = fixture.run("serve-runtime", "--listen", "nowhere", "--follow",
                                    "facehair", "--json")
        #expect(badListen.status == 1)
        #expect(badListen.stderr.contains("\"code\":\"service.bad_address\""))
        let unknown = fixture.run("serve-runtime", "--listen", "127.0.0.1:0",
                                  "--follow", "missing")
        #expect(unknown.status == 1)
        #expect(unknown.stderrLines.count == 1)
        #expect(unknown.stderr.hasPrefix("facelet-registry: error: cannot load the backbone"))
        let help = fixture.run("serve-runtime", "--help")
        #expect(help.stdout.hasPrefix("usage: facelet-registry serve-runtime [--listen HOST:PORT]"
            + " [--follow REF] [--backbone REF]\n"))
    }
}
