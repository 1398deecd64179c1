import FaceletPackage
import Foundation
import Testing

/// The import module's committed fixtures (scripts/make-import-fixtures.py), width 1/32.
enum ImportFixture {
    static let directory = CLIFixture.repoRoot
        .appendingPathComponent("Tests/FaceletImportTests/Fixtures")

    static func path(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }

    /// `sha256:<hex>` of a file, computed here independently of the importer.
    static func sha256(_ path: String) throws -> String {
        Digest.sha256(try Data(contentsOf: URL(fileURLWithPath: path))).description
    }

    /// A legacy (pre-1.6) `torch.save` file whose state-dict pickle is
    /// `posix.system("touch <marker>")`: the magic-number pickle, protocol 1001, an empty
    /// system-info dict, then the hostile pickle.
    static func hostileLegacyCheckpoint(touching marker: String) -> Data {
        var bytes: [UInt8] = [128, 2, 138, 10, 108, 252, 156, 70, 249, 32, 106, 168, 80, 25, 46]
        bytes += [0x80, 0x02, 0x4d, 0xe9, 0x03, 0x2e]         // BININT2 1001, STOP
        bytes += [0x80, 0x02, 0x7d, 0x2e]                     // EMPTY_DICT, STOP
        let command = Array("touch \(marker)".utf8)
        bytes += [0x80, 0x02] + Array("cposix\nsystem\n".utf8)
        bytes += [0x8c, UInt8(command.count)] + command + [0x85, 0x52, 0x2e]
        return Data(bytes)
    }
}

extension CLIFixture {
    /// A store holding the original release imported through the CLI: `facelet-original:1`
    /// (encoder + decoder) and `facehair:1` (its bank). Returns both `--json` objects.
    func storeWithOriginalRelease() throws -> (backbone: [String: Any], bank: [String: Any]) {
        #expect(run("init").status == 0)
        let backbone = try json("import", ImportFixture.path("original_encoder.pth"),
                                ImportFixture.path("original_decoder.pth"),
                                "--as", "facelet-original:1", "--publish")
        let bank = try json("import", ImportFixture.path("original_facehair.pth"),
                            "--backbone", "facelet-original:1", "--as", "facehair:1",
                            "--publish", "-o", path("facehair.fbk"))
        return (backbone, bank)
    }

    /// `name → sha256` of a stored version's tensors (`show --json`).
    func tensorDigests(_ reference: String) throws -> [String: String] {
        let tensors = try json("show", reference)["tensors"] as? [[String: Any]] ?? []
        var out: [String: String] = [:]
        for tensor in tensors {
            if let name = tensor["name"] as? String, let sha = tensor["sha256"] as? String {
                out[name] = sha
            }
        }
        return out
    }
}

@Suite struct ImportCommandTests {
    @Test func importsTheOriginalReleasePublishesAndApplies() throws {
        let fixture = try CLIFixture()
        let (backbone, bank) = try fixture.storeWithOriginalRelease()

        #expect(backbone["kind"] as? String == "backbone")
        #expect(backbone["architecture"] as? String == "facelet-original")
        #expect(backbone["published"] as? Bool == true)
        #expect(backbone["new"] as? Bool == true)
        let sources = try #require(backbone["sources"] as? [[String: Any]])
        #expect(sources.compactMap { $0["layout"] as? String }
            == ["original-encoder", "original-decoder"])

        #expect(bank["kind"] as? String == "bank")
        #expect(bank["reference"] as? String == "facehair:1")
        #expect(bank["backbone"] as? String == backbone["digest"] as? String)
        // The -o file is the very package that was stored.
        let republished = try fixture.json("publish", fixture.path("facehair.fbk"))
        #expect(republished["new"] as? Bool == false)
        #expect(republished["digest"] as? String == bank["digest"] as? String)

        // show names the source file by its SHA-256 and the key mapping.
        let show = try fixture.json("show", "facehair:1")
        let provenance = try #require(show["provenance"] as? [String: String])
        let fileDigest = try ImportFixture.sha256(ImportFixture.path("original_facehair.pth"))
        #expect(provenance["method"] == "import")
        #expect(provenance["source"] == "original_facehair.pth")
        #expect(provenance["source_sha256"] == fileDigest)
        #expect(provenance["source_format"] == "pytorch-legacy")
        #expect(provenance["mapping"] == "original-bank")
        #expect(show["backbone_reference"] as? String == "facelet-original:1")
        let text = fixture.run("show", "facehair:1").stdout
        #expect(text.contains("source_sha256=\(fileDigest)"))
        #expect(text.contains("mapping=original-bank"))
        let backboneShow = try fixture.json("show", "facelet-original:1")
        let backboneProvenance = try #require(backboneShow["provenance"] as? [String: String])
        #expect(backboneProvenance["mapping"] == "original-encoder,original-decoder")
        #expect(backboneProvenance["source_sha256"] == [
            try ImportFixture.sha256(ImportFixture.path("original_encoder.pth")),
            try ImportFixture.sha256(ImportFixture.path("original_decoder.pth")),
        ].joined(separator: ","))

        // The imported bank edits a real photograph.
        let applied = try fixture.json("apply", "facehair:1", CLIFixture.hopperJPEG,
                                       "-o", fixture.path("edited.png"))
        #expect(applied["digest"] as? String == bank["digest"] as? String)
        #expect(try CLIFixture.pngSize(fixture.path("edited.png")) == (517, 606))
    }

    @Test func defaultNameComesFromTheFileAndVersionIsOne() throws {
        let fixture = try CLIFixture()
        _ = try fixture.storeWithOriginalRelease()
        let result = fixture.run("import", ImportFixture.path("original_facehair.pth"),
                                 "--backbone", "facelet-original:1", "-o", fixture.path("x.fbk"))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("imported original_facehair:1  bank, 18 tensors from "
            + "original_facehair.pth [original-bank]\n"))
        #expect(result.stdout.contains("wrote \(fixture.path("x.fbk"))"))
        // -o alone stores nothing.
        #expect(fixture.run("show", "original_facehair:1").status == 1)
    }

    @Test func torchvisionEncoderNeedsADecoderAndTakesAnExportedOne() throws {
        let fixture = try CLIFixture()
        #expect(fixture.run("init").status == 0)
        let before = try fixture.snapshot()
        let alone = fixture.run("import", ImportFixture.path("tv_vgg19.pth"), "--publish")
        #expect(alone.status == 1)
        #expect(alone.stderrLines.count == 1)
        #expect(alone.stderr.hasPrefix("facelet-registry: error: "))
        #expect(alone.stderr.contains("add a decoder file"))
        let code = fixture.run("import", ImportFixture.path("tv_vgg19.pth"), "--publish",
                               "--json")
        #expect(code.stderr.contains("\"code\":\"import.missing_keys\""))
        #expect(try fixture.snapshot() == before)

        // A donor backbone of the same width gives its decoder as a safetensors file.
        _ = try fixture.json("new-backbone", "--width", "0.03125", "--seed", "4",
                             "--name", "donor", "-o", fixture.path("donor.fbb"))
        _ = try fixture.json("publish", fixture.path("donor.fbb"))
        let exported = try fixture.json("export", "donor", "--format", "safetensors",
                                        "--part", "decoder", "-o", fixture.path("dec.safetensors"))
        #expect(exported["part"] as? String == "decoder")
        let imported = try fixture.json("import", ImportFixture.path("tv_vgg19.pth"),
                                        fixture.path("dec.safetensors"), "--as", "vgg19-tv:1",
                                        "--arch", "vgg19", "--publish")
        #expect(imported["architecture"] as? String == "vgg19")
        let sources = try #require(imported["sources"] as? [[String: Any]])
        #expect(sources.compactMap { $0["layout"] as? String } == ["torchvision-vgg19", "facelet"])
        // The narrow fixture holds conv5_2…5_4 and classifier.0/.6: 10 keys dropped.
        #expect(sources.first?["ignored_keys"] as? Int == 10)

        // The encoder equals PyTorch's own tensors (the .expected file, contiguous copies
        // under torchvision's keys), the decoder the donor's, tensor by tensor.
        _ = try fixture.json("import", ImportFixture.path("tv_vgg19.expected.safetensors"),
                             fixture.path("dec.safetensors"), "--as", "vgg19-check:1",
                             "--arch", "vgg19", "--publish")
        let ours = try fixture.tensorDigests("vgg19-tv:1")
        let donor = try fixture.tensorDigests("donor:1")
        #expect(ours.count == donor.count)
        #expect(ours.keys.filter { $0.hasPrefix("encoder.") }.count == 26)
        #expect(ours == (try fixture.tensorDigests("vgg19-check:1")))
        for (name, sha) in donor where name.hasPrefix("decoder.") {
            #expect(ours[name] == sha, "\(name)")
        }
    }

    @Test func refusesAHostilePickleWithOneLineAndStoresNothing() throws {
        let fixture = try CLIFixture()
        _ = try fixture.storeWithOriginalRelease()
        let marker = fixture.path("pwned")
        let hostile = fixture.path("facehair-evil.pth")
        try ImportFixture.hostileLegacyCheckpoint(touching: marker)
            .write(to: URL(fileURLWithPath: hostile))
        let before = try fixture.snapshot()

        let result = fixture.run("import", hostile, "--backbone", "facelet-original:1",
                                 "--publish", "-o", fixture.path("evil.fbk"))
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.hasPrefix("facelet-registry: error: \(hostile): "))
        #expect(result.stderr.contains("posix.system"))
        let json = fixture.run("import", hostile, "--backbone", "facelet-original:1",
                               "--publish", "--json")
        #expect(json.status == 1)
        #expect(json.stderr.contains("\"code\":\"import.forbidden_global\""))

        #expect(!FileManager.default.fileExists(atPath: marker))
        #expect(!FileManager.default.fileExists(atPath: fixture.path("evil.fbk")))
        #expect(try fixture.snapshot() == before)
    }

    @Test(arguments: [
        (["--publish", "--arch", "resnet"], "choose one of vgg19, vgg19-add, facelet-original,"
            + " facelet-original-running"),
        (["--publish", "--layout", "keras"], "unknown --layout 'keras'"),
        ([], "import needs -o FILE, --publish or both"),
        (["--publish", "--as", "enc@stable"], "--as needs NAME:VERSION"),
        (["--publish", "--backbone", "facelet-original:1"], "--backbone applies to a single"),
    ])
    func backboneUsageErrorsExitTwoAndStoreNothing(extra: [String], message: String) throws {
        let fixture = try CLIFixture()
        #expect(fixture.run("init").status == 0)
        let before = try fixture.snapshot()
        let result = fixture.run(["import", ImportFixture.path("original_encoder.pth"),
                                  ImportFixture.path("original_decoder.pth")] + extra)
        #expect(result.status == 2)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(try fixture.snapshot() == before)
    }

    @Test(arguments: [
        ("import", "usage: facelet-registry import FILE... [--as NAME:VERSION] [--arch NAME]"
            + " [--layout L] [--backbone REF] [--publish] [-o FILE]\n"),
        ("export", "usage: facelet-registry export NAME[:VERSION] [-o FILE] [--format F]"
            + " [--naming N] [--part P]\n"),
        ("serve-runtime", "usage: facelet-registry serve-runtime [--listen HOST:PORT]"
            + " [--follow REF] [--backbone REF]\n"),
    ])
    func helpStartsWithTheUsageLineAndReadsAsProse(command: String, usage: String) throws {
        let fixture = try CLIFixture()
        let help = fixture.run(command, "--help")
        #expect(help.status == 0)
        #expect(help.stdout.hasPrefix(usage))
        #expect(!help.stdout.contains("\\"))
    }

    @Test func aBankFileNeedsItsBackbone() throws {
        let fixture = try CLIFixture()
        #expect(fixture.run("init").status == 0)
        let result = fixture.run("import", ImportFixture.path("original_facehair.pth"),
                                 "--publish")
        #expect(result.status == 2)
        #expect(result.stderr.contains("is a facelet bank; name the stored backbone"))
        let missing = fixture.run("import", ImportFixture.path("original_facehair.pth"),
                                  "--backbone", "nowhere:1", "--publish")
        #expect(missing.status == 1)
        #expect(missing.stderrLines.count == 1)
    }
}
