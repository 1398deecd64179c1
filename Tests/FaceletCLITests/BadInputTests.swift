import Foundation
import Testing

/// Bad input gets one clear line on stderr and a non-zero exit, and leaves the store as it
/// was (compared through `list --json` and the files under blobs/).
@Suite struct BadInputTests {
    /// A valid 1×1 RGB PNG.
    static let onePixelPNG = Data(base64Encoded:
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGM4wcUFAAJ6AN1nJ0J9AAAA"
            + "AElFTkSuQmCC")
    /// A PNG whose IHDR (valid CRC) declares 100000 × 100000 pixels.
    static let hugePNG = Data(base64Encoded:
        "iVBORw0KGgoAAAANSUhEUgABhqAAAYagCAIAAAAnMJyfAAAADElEQVR4nGNgoAwAAABAAAG3NHzvAAAA"
            + "AElFTkSuQmCC")

    /// Runs `args` (text mode and --json mode) and checks: exit status, exactly one stderr
    /// line, nothing on stdout, and an unchanged store.
    func expectRefused(_ fixture: CLIFixture, _ args: [String], status: Int32 = 1,
                       mentions fragment: String) throws {
        let before = try fixture.snapshot()
        let text = fixture.run(args)
        #expect(text.status == status, "\(args): \(text.stderr)")
        #expect(text.stderrLines.count == 1, "\(args): \(text.stderr)")
        #expect(text.stderr.hasPrefix("facelet-registry: error: "))
        #expect(text.stderr.contains(fragment), "\(args): \(text.stderr)")
        #expect(text.stdout.isEmpty)
        let json = fixture.run(args + ["--json"])
        #expect(json.status == status)
        #expect(json.stderrLines.count == 1)
        let object = try JSONSerialization.jsonObject(with: Data(json.stderr.utf8))
        let error = (object as? [String: Any])?["error"] as? [String: Any]
        #expect(error?["code"] is String)
        #expect((error?["message"] as? String)?.contains(fragment) == true)
        #expect(try fixture.snapshot() == before)
    }

    @Test func truncatedPackageIsRefused() throws {
        let fixture = try CLIFixture()
        try fixture.storeWithBackbone()
        _ = try fixture.json("new-bank", "beard", "--backbone", "vgg-narrow",
                             "-o", fixture.path("beard.fbk"))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: fixture.path("beard.fbk")))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: fixture.path("t.fbk")))
        try expectRefused(fixture, ["publish", fixture.path("t.fbk")], mentions: "t.fbk")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: fixture.path("tiny.fbk")))
        try expectRefused(fixture, ["publish", fixture.path("tiny.fbk")], mentions: "tiny.fbk")
    }

    @Test func corruptedPackageIsRefused() throws {
        let fixture = try CLIFixture()
        try fixture.storeWithBackbone()
        _ = try fixture.json("new-bank", "beard", "--backbone", "vgg-narrow",
                             "-o", fixture.path("beard.fbk"))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: fixture.path("beard.fbk")))
        bytes[bytes.count - 5] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: fixture.path("c.fbk")))
        try expectRefused(fixture, ["publish", fixture.path("c.fbk")], mentions: "c.fbk")
    }

    @Test func bankForMissingBackboneIsRefused() throws {
        let fixture = try CLIFixture()
        try fixture.storeWithBackbone()
        _ = try fixture.json("new-backbone", "--width", "0.0625", "--seed", "99",
                             "--name", "other", "-o", fixture.path("other.fbb"))
        _ = try fixture.json("new-bank", "smile", "--backbone", fixture.path("other.fbb"),
                             "-o", fixture.path("smile.fbk"))
        try expectRefused(fixture, ["publish", fixture.path("smile.fbk")],
                          mentions: "publish that backbone first")
    }

    @Test func pathLikeNamesAreRefused() throws {
        let fixture = try CLIFixture()
        try fixture.storeWithBackbone()
        // A package file whose manifest names itself "../x" (header rewritten by hand).
        let bytes = try Data(contentsOf: URL(fileURLWithPath: fixture.path("backbone.fbb")))
        let headerLength = Int(bytes.prefix(8).reversed()
            .reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        var renamed = Data(header.replacingOccurrences(of: "vgg-narrow", with: "../x").utf8)
        while renamed.count % 8 != 0 { renamed.append(0x20) }
        var length = UInt64(renamed.count).littleEndian
        var file = Data(bytes: &length, count: 8)
        file.append(renamed)
        file.append(bytes[(8 + headerLength)...])
        try file.write(to: URL(fileURLWithPath: fixture.path("x.fbb")))
        try expectRefused(fixture, ["publish", fixture.path("x.fbb")], mentions: "x.fbb")

        try expectRefused(fixture, ["show", "../x"], mentions: "../x")
        try expectRefused(fixture, ["rm", "../x:1"], mentions: "../x")
        try expectRefused(fixture, ["new-bank", "../x", "--backbone", "vgg-narrow",
                                    "-o", fixture.path("x.fbk")], mentions: "../x")
        #expect(!FileManager.default.fileExists(atPath: fixture.path("x.fbk")))
    }

    @Test func badPhotosAreRefused() throws {
        let fixture = try CLIFixture()
        try fixture.storeWithBackbone()
        _ = try fixture.json("new-bank", "beard", "--backbone", "vgg-narrow",
                             "-o", fixture.path("beard.fbk"))
        _ = try fixture.json("publish", fixture.path("beard.fbk"))
        try Data("this is not an image\n".utf8)
            .write(to: URL(fileURLWithPath: fixture.path("notes.png")))
        try #require(Self.onePixelPNG).write(to: URL(fileURLWithPath: fixture.path("one.png")))
        try #require(Self.hugePNG).write(to: URL(fileURLWithPath: fixture.path("huge.png")))
        for name in ["notes.png", "one.png", "huge.png"] {
            for command in [["apply", "beard", fixture.path(name), "-o", fixture.path("o.png")],
                            ["audit", "beard", "--image", fixture.path(name)]] {
                try expectRefused(fixture, command, mentions: name)
            }
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.path("o.png")))
    }

    @Test func strengthOutsideTheBanksRangeIsRefused() throws {
        let fixture = try CLIFixture()
        try fixture.storeWithBackbone()
        _ = try fixture.json("new-bank", "beard", "--backbone", "vgg-narrow",
                             "-o", fixture.path("beard.fbk"))
        _ = try fixture.json("publish", fixture.path("beard.fbk"))
        try expectRefused(fixture, ["apply", "beard", CLIFixture.hopperJPEG,
                                    "-o", fixture.path("o.png"), "--strength", "2.5"],
                          mentions: "outside the range beard:1 allows: [-1, 2]")
        try expectRefused(fixture, ["apply", "beard", CLIFixture.hopperJPEG,
                                    "-o", fixture.path("o.png"), "--levels", "3,7"],
                          mentions: "'7' is not a level")
    }

    @Test func usageErrorsExitWithStatusTwo() throws {
        let fixture = try CLIFixture()
        try fixture.storeWithBackbone()
        try expectRefused(fixture, ["publish"], status: 2, mentions: "missing argument FILE")
        try expectRefused(fixture, ["list", "--bogus"], status: 2, mentions: "--bogus")
        try expectRefused(fixture, ["frobnicate"], status: 2, mentions: "unknown command")
        try expectRefused(fixture, ["export", "vgg-narrow"], status: 2, mentions: "-o FILE")
        let help = fixture.run("apply", "--help")
        #expect(help.status == 0)
        #expect(help.stdout.hasPrefix("usage: facelet-registry apply NAME[:VERSION] INPUT"))
    }

    @Test func commandsOnAMissingStoreSayToRunInit() throws {
        let fixture = try CLIFixture()
        let result = fixture.run("list")
        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains("facelet-registry init"))
        #expect(!FileManager.default.fileExists(atPath: fixture.store + "/store.sqlite"))
    }

    @Test func publishWithoutConfigSkipsThumbnailsWithANote() throws {
        let fixture = try CLIFixture()
        try fixture.storeWithBackbone()
        _ = try fixture.json("new-bank", "beard", "--backbone", "vgg-narrow",
                             "-o", fixture.path("beard.fbk"))
        let result = fixture.run("publish", fixture.path("beard.fbk"))
        #expect(result.status == 0)
        #expect(result.stderr
            == "facelet-registry: note: thumbnails skipped: no registry.json in use "
            + "(built-in defaults)\n")
        #expect(result.stdout.hasPrefix("beard:1  sha256:"))
        #expect(result.stdout.hasSuffix("  new\n"))
    }
}
