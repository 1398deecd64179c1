import FaceletCLI
import Foundation
import Testing

/// What one in-process run of the command line gave.
struct RunResult {
    let status: Int32
    let stdout: String
    let stderr: String

    /// Standard output parsed as one JSON object.
    func json() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8))
        guard let root = object as? [String: Any] else {
            throw FixtureError("stdout is not a JSON object: \(stdout)")
        }
        return root
    }

    /// The lines of standard error.
    var stderrLines: [String] {
        stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }
}

/// A test failure in the fixture itself.
struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A temporary folder with a store in it, and a way to run `facelet-registry` commands
/// in-process against it. Each test makes its own, so tests run in parallel.
final class CLIFixture {
    /// The repository root (this file is Tests/FaceletCLITests/CLIFixture.swift).
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// The shipped registry.json (names reference/astronaut-256.png).
    static let configPath = repoRoot.appendingPathComponent("registry.json").path
    /// The real photographs the tests use (not needed by the product at run time).
    static let faces = repoRoot.appendingPathComponent("../shared/data/faces").standardizedFileURL
    /// A 517×606 baseline JPEG portrait.
    static let hopperJPEG = faces.appendingPathComponent("usnavy_grace_hopper.jpg").path

    let folder: URL
    let store: String

    init() throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("facelet-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = folder.appendingPathComponent("store").path
    }

    deinit {
        try? FileManager.default.removeItem(at: folder)
    }

    /// A path inside the temporary folder.
    func path(_ name: String) -> String {
        folder.appendingPathComponent(name).path
    }

    /// Runs one command line with `--store` pointing at this fixture's store and a clean
    /// environment (HOME inside the fixture, no FACELET_* variables).
    @discardableResult
    func run(_ args: String...) -> RunResult {
        run(args)
    }

    /// Runs one command line (see `run(_:...)`).
    func run(_ args: [String]) -> RunResult {
        let io = CommandIO.capturing(environment: ["HOME": folder.path],
                                     workingDirectory: folder.path)
        // `bench --threads` sets the process-wide engine thread count while it runs.
        let changesThreadCount = args.first == "bench"
        if changesThreadCount { EngineThreadCount.lock.lock() }
        defer { if changesThreadCount { EngineThreadCount.lock.unlock() } }
        let status = FaceletCommandLine.run(["--store", store] + args, io: io)
        return RunResult(status: status, stdout: io.standardOutput, stderr: io.standardError)
    }

    /// Runs a command that must succeed with `--json` and returns its object.
    func json(_ args: String...) throws -> [String: Any] {
        try json(args)
    }

    /// Runs a command that must succeed with `--json` (see `json(_:...)`).
    func json(_ args: [String]) throws -> [String: Any] {
        let result = run(args + ["--json"])
        guard result.status == 0 else {
            throw FixtureError("\(args.joined(separator: " ")) failed (\(result.status)): "
                + result.stderr)
        }
        return try result.json()
    }

    /// The store's state as scripts see it (`list --json`) plus the files under blobs/,
    /// to compare before and after a refused command.
    func snapshot() throws -> String {
        let list = run("list", "--json")
        let blobs = FileManager.default.enumerator(atPath: store + "/blobs")?
            .compactMap { $0 as? String }.sorted() ?? []
        return list.stdout + "|" + blobs.joined(separator: ",")
    }

    /// Makes a store holding a narrow random backbone `vgg-narrow:1`; returns its digest.
    @discardableResult
    func storeWithBackbone(outputMode: String = "image") throws -> String {
        #expect(run("init").status == 0)
        _ = try json("new-backbone", "--width", "0.0625", "--seed", "3", "--name", "vgg-narrow",
                     "--output-mode", outputMode, "-o", path("backbone.fbb"))
        let published = try json("publish", path("backbone.fbb"))
        return published["digest"] as? String ?? ""
    }

    /// The width and height a PNG file's IHDR declares.
    static func pngSize(_ path: String) throws -> (Int, Int) {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard data.count > 24, data.starts(with: [0x89, 0x50, 0x4E, 0x47]) else {
            throw FixtureError("\(path) is not a PNG")
        }
        func be32(_ offset: Int) -> Int {
            data[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
        }
        return (be32(16), be32(20))
    }
}

/// Serialises, across suites, the tests that change the process-wide engine thread count
/// (`serve-runtime` and `bench` set `ComputeThreads` while they run) with those that compare
/// the bits of two separate runs. The engine's work split depends on that count, so a count
/// changed by one test while another runs could change the other's last bits (seen: an edit
/// at λ = 0 one bit-pattern away from the reconstruction while serve-runtime ran beside it).
enum EngineThreadCount {
    static let lock = NSLock()
}
