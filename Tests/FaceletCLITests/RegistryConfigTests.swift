import Foundation
import Testing
@testable import FaceletCLI

@Suite struct RegistryConfigTests {
    /// The repository root (this file is Tests/FaceletCLITests/RegistryConfigTests.swift).
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func shippedConfigNamesTheShippedReferencePhoto() throws {
        let path = Self.repoRoot.appendingPathComponent("registry.json").path
        let config = try RegistryConfig.load(path: path)
        #expect(config.store == "~/.facelet")
        #expect(config.thumbnailSize == 128)
        #expect(config.strength == .init(default: 1, min: -1, max: 2))
        #expect(config.referencePhotos.map(\.name) == ["astronaut"])
        let photo = Self.repoRoot.appendingPathComponent("reference/astronaut-256.png").path
        #expect(config.referencePhotos.first?.path == photo)
        #expect(FileManager.default.fileExists(atPath: photo))
    }

    @Test(arguments: [
        #"{"thumbnail_size": 3}"#,
        #"{"strength": {"default": 3, "min": -1, "max": 2}}"#,
        #"{"reference_photos": [{"name": "../x", "path": "a.png"}]}"#,
        #"{"colour": "red"}"#,
        #"[1, 2]"#,
        #"{"store": "#,
    ])
    func rejectsBadConfigWithOneLine(text: String) throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("facelet-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("registry.json")
        try Data(text.utf8).write(to: file)
        do {
            _ = try RegistryConfig.load(path: file.path)
            Issue.record("expected an error")
        } catch {
            #expect(error.code.hasPrefix("config-"))
            #expect(!error.message.contains("\n"))
            #expect(error.message.contains(file.path))
        }
    }

    @Test func storeFolderComesFromFlagThenEnvironmentThenConfig() throws {
        let io = CommandIO.capturing(environment: ["FACELET_HOME": "/tmp/from-env",
                                                   "HOME": "/home/u"])
        var args = ParsedArguments()
        #expect(try CommandContext.resolve(io: io, arguments: args).storePath == "/tmp/from-env")
        args.values["store"] = "/tmp/from-flag"
        #expect(try CommandContext.resolve(io: io, arguments: args).storePath == "/tmp/from-flag")
        let bare = CommandIO.capturing(environment: ["HOME": "/home/u"])
        let context = try CommandContext.resolve(io: bare, arguments: ParsedArguments())
        #expect(context.storePath == "/home/u/.facelet")
        #expect(context.config.sourcePath == nil)
    }
}
