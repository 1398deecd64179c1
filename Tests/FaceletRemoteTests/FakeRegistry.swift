import Foundation
import Testing

/// The Python fake registry (Python/fake_registry.py) serving a mirror folder on 127.0.0.1,
/// with fault modes; stopped when the value goes away.
final class FakeRegistry {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Python/fake_registry.py").path

    private let process = Process()
    /// The server's stdin: closing it stops the server (also if this test process dies).
    private let input = Pipe()
    private let logPath: String
    /// The port it listens on.
    let port: Int

    /// Starts a server for mirror folder `root` with `faults` (see the script's docstring).
    init(root: String, faults: [String] = []) throws {
        logPath = root + ".requests-\(UUID().uuidString).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: Data())
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script, root, logPath] + faults
        process.standardOutput = output
        process.standardInput = input
        try process.run()
        // The first line is the port; readLine-style, bounded by the line's length.
        var line = Data()
        while line.count < 16 {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            guard let first = byte.first, first != 0x0A else { break }
            line.append(first)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            process.terminate()
            throw FakeRegistryError(description: "the fake registry printed no port")
        }
        self.port = port
    }

    deinit {
        try? input.fileHandleForWriting.close()
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: logPath)
    }

    /// `http://127.0.0.1:<port>`.
    var url: String { "http://127.0.0.1:\(port)" }

    /// Every request so far, one decoded JSON object each.
    func requests() -> [[String: Any]] {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// The paths of the GET requests for blobs so far.
    func blobRequests() -> [String] {
        requests().filter { ($0["method"] as? String) == "GET" }
            .compactMap { $0["path"] as? String }.filter { $0.hasPrefix("/v1/blobs/") }
    }
}

struct FakeRegistryError: Error, CustomStringConvertible {
    let description: String
}
