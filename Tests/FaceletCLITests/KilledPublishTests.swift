import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A publish killed with SIGKILL at a random moment leaves the store as before or as after:
/// `verify` is clean and the version is either fully there or absent. Runs the real
/// `facelet-registry` binary built next to the test bundle.
@Suite struct KilledPublishTests {
    /// `.build/<triple>/debug/facelet-registry`: the folder of the test bundle holds it.
    static var binary: URL? {
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = folder.appendingPathComponent("facelet-registry")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return nil
    }

    @Test func killedPublishLeavesTheStoreBeforeOrAfter() throws {
        let binary = try #require(Self.binary,
                                  "build the product first: swift build --build-tests")
        let fixture = try CLIFixture()
        #expect(fixture.run("init").status == 0)
        // About 50 MB of weights: VGG-19 at width 0.625.
        let made = try fixture.json("new-backbone", "--width", "0.625", "--seed", "11",
                                    "--name", "big", "-o", fixture.path("big.fbb"))
        let digest = try #require(made["digest"] as? String)
        #expect((made["bytes"] as? Int ?? 0) > 45_000_000)

        var generator = SystemRandomNumberGenerator()
        var outcomes: [Bool] = []
        for _ in 0..<4 {
            let process = Process()
            process.executableURL = binary
            process.arguments = ["--store", fixture.store, "publish", fixture.path("big.fbb")]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 100_000...1_500_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()

            let verify = try fixture.json("verify")
            #expect(verify["clean"] as? Bool == true, "\(verify)")
            let packages = try fixture.json("list")["packages"] as? [[String: Any]] ?? []
            let present = packages.contains { $0["name"] as? String == "big" }
            if present {
                #expect(try fixture.json("show", "big:1")["digest"] as? String == digest)
                let exported = try fixture.json("export", "big:1", "-o", fixture.path("e.fbb"))
                #expect(exported["digest"] as? String == digest)
            }
            outcomes.append(present)
            if present {
                _ = try fixture.json("rm", "big:1")
                _ = try fixture.json("gc")
            }
        }
        // Whatever the kills hit, a later publish completes and the store stays clean.
        let last = try fixture.json("publish", fixture.path("big.fbb"))
        #expect(last["digest"] as? String == digest)
        #expect(try fixture.json("verify")["clean"] as? Bool == true)
        _ = try fixture.json("gc")
        #expect(try fixture.json("verify")["clean"] as? Bool == true)
        #expect(outcomes.count == 4)
    }
}
