import FaceletRegistryServer
import FaceletStore
import Foundation
import Testing

/// Several `facelet-registry pull` processes into one store at once, against the real
/// registry server on loopback: they take turns on the store's pull lock, so each succeeds
/// and the store verifies clean (they once appended to the same `.part` files and crashed).
@Suite struct ParallelPullTests {
    @Test func threePullProcessesIntoOneStoreAllSucceed() throws {
        let binary = try #require(KilledPublishTests.binary,
                                  "build the product first: swift build --build-tests")
        let serverSide = try CLIFixture()
        let digest = try serverSide.storeWithBackbone()
        let served = try Store.open(at: URL(fileURLWithPath: serverSide.store))
        let server = try RegistryServer(store: served, configuration: .init(token: "t"))
        let port = try server.start()
        defer { server.stop() }

        let reader = try CLIFixture()
        #expect(reader.run("init").status == 0)
        var processes: [(Process, String)] = []
        for index in 0..<3 {
            let process = Process()
            process.executableURL = binary
            process.arguments = ["--store", reader.store, "pull", "vgg-narrow:1", "--from",
                                 "http://127.0.0.1:\(port)"]
            let errors = reader.path("stderr-\(index).txt")
            _ = FileManager.default.createFile(atPath: errors, contents: Data())
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle(forWritingAtPath: errors)
            process.environment = ["HOME": reader.folder.path]
            try process.run()
            processes.append((process, errors))
        }
        for (process, errors) in processes {
            process.waitUntilExit()
            let stderr = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
            #expect(process.terminationReason == .exit, "\(stderr)")
            #expect(process.terminationStatus == 0, "\(stderr)")
        }

        #expect(try reader.json("verify")["clean"] as? Bool == true)
        #expect(try reader.json("show", "vgg-narrow:1")["digest"] as? String == digest)
        let partial = (try? FileManager.default.contentsOfDirectory(
            atPath: reader.store + "/partial")) ?? []
        #expect(partial == [])
    }
}
