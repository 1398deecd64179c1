import FaceletPackage
import Foundation
import Testing

/// The whole cycle of issue 2 on a real photograph: publish a backbone and two versions of a
/// bank, list/show/diff them, apply at λ = 0, 0.5 and 1, audit, export, verify, rm, gc.
@Suite struct WholeCycleTests {
    @Test func wholeCycleOnARealPhotograph() throws {
        // It compares an edit at λ = 0 with a separate reconstruction, bit for bit.
        EngineThreadCount.lock.lock()
        defer { EngineThreadCount.lock.unlock() }
        let fixture = try CLIFixture()
        let config = CLIFixture.configPath
        let photo = CLIFixture.hopperJPEG

        // init is safe twice.
        #expect(try fixture.json("init")["created"] as? Bool == true)
        #expect(try fixture.json("init")["created"] as? Bool == false)

        // A narrow random backbone, published once (new) and again (no-op).
        let made = try fixture.json("new-backbone", "--width", "0.0625", "--seed", "3",
                                    "--name", "vgg-narrow", "-o", fixture.path("bb.fbb"))
        let backboneDigest = try #require(made["digest"] as? String)
        let first = try fixture.json("publish", fixture.path("bb.fbb"))
        #expect(first["new"] as? Bool == true)
        #expect(first["digest"] as? String == backboneDigest)
        #expect(first["reference"] as? String == "vgg-narrow:1")
        #expect(try fixture.json("publish", fixture.path("bb.fbb"))["new"] as? Bool == false)
        let human = fixture.run("publish", fixture.path("bb.fbb"))
        #expect(human.stdout == "vgg-narrow:1  \(backboneDigest)  already present\n")

        // Two versions of a bank; version 2 changes only relu4_1.
        _ = try fixture.json("new-bank", "beard", "--backbone", "vgg-narrow", "--seed", "5",
                             "--version", "1", "-o", fixture.path("beard-1.fbk"))
        _ = try fixture.json("new-bank", "beard", "--backbone", "vgg-narrow", "--seed", "5",
                             "--level-seed", "relu4_1=9", "--version", "2",
                             "-o", fixture.path("beard-2.fbk"))
        let v1 = try fixture.json("--config", config, "publish", fixture.path("beard-1.fbk"))
        let v2 = try fixture.json("--config", config, "publish", fixture.path("beard-2.fbk"))
        let digest1 = try #require(v1["digest"] as? String)
        let digest2 = try #require(v2["digest"] as? String)
        #expect(digest1 != digest2)
        let thumbs = try #require(v2["thumbnails"] as? [[String: Any]])
        #expect(Set(thumbs.compactMap { $0["level"] as? String })
            == ["relu3_1", "relu4_1", "relu5_1", "combined"])
        #expect(Set(thumbs.compactMap { $0["reference"] as? String }) == ["astronaut"])

        // list and show.
        let list = try #require(try fixture.json("list")["packages"] as? [[String: Any]])
        #expect(list.compactMap { $0["name"] as? String } == ["beard", "vgg-narrow"])
        #expect(list[0]["kind"] as? String == "bank")
        #expect(list[0]["versions"] as? [String] == ["1", "2"])
        #expect(list[0]["latest"] as? String == "2")
        #expect(list[1]["kind"] as? String == "backbone")
        let show = try fixture.json("show", "beard")
        #expect(show["reference"] as? String == "beard:2")
        #expect(show["digest"] as? String == digest2)
        #expect(show["backbone"] as? String == backboneDigest)
        #expect(show["backbone_reference"] as? String == "vgg-narrow:1")
        #expect(show["levels"] as? [String] == ["relu3_1", "relu4_1", "relu5_1"])
        #expect((show["tags"] as? [String])?.contains("latest") == true)
        let provenance = try #require(show["provenance"] as? [String: String])
        #expect(provenance["method"] == "random")
        #expect(provenance["seed.relu4_1"] == "9")
        let tensors = try #require(show["tensors"] as? [[String: Any]])
        #expect(tensors.count == 18)
        let relu4 = try #require(tensors.first { $0["name"] as? String == "relu4_1.0.weight" })
        #expect(relu4["shape"] as? [Int] == [32, 32, 3, 3])
        #expect(relu4["dtype"] as? String == "F32")
        #expect((show["thumbnails"] as? [Any])?.count == 4)
        #expect(fixture.run("show", "beard:2").stdout.contains("thumbnails (4):"))

        // diff names exactly the changed tensors (biases are all zero, so only weights).
        let diff = try fixture.json("diff", "beard:1", "beard:2")
        #expect(diff["changed"] as? [String]
            == ["relu4_1.0.weight", "relu4_1.1.weight", "relu4_1.2.weight"])
        #expect(diff["added"] as? [String] == [])
        #expect(diff["removed"] as? [String] == [])
        #expect((diff["unchanged"] as? [String])?.count == 15)

        // tag
        #expect(try fixture.json("tag", "beard:1", "stable")["tag"] as? String == "stable")
        #expect(try fixture.json("show", "beard@stable")["digest"] as? String == digest1)

        // apply at λ = 0, 0.5, 1 on the 517×606 JPEG; λ = 0 is the backbone's reconstruction.
        var outputs: [Double: Data] = [:]
        for strength in [0.0, 0.5, 1.0] {
            let out = fixture.path("edit-\(strength).png")
            let result = try fixture.json("apply", "beard:2", photo, "-o", out,
                                          "--strength", String(strength))
            #expect(result["width"] as? Int == 517)
            #expect(result["height"] as? Int == 606)
            #expect(try CLIFixture.pngSize(out) == (517, 606))
            outputs[strength] = try Data(contentsOf: URL(fileURLWithPath: out))
        }
        let reconstruction = fixture.path("reconstruction.png")
        _ = try fixture.json("apply", "vgg-narrow", photo, "-o", reconstruction)
        let reconstructed = try Data(contentsOf: URL(fileURLWithPath: reconstruction))
        #expect(outputs[0] == reconstructed)
        #expect(outputs[0.5] != outputs[0])
        #expect(outputs[1] != outputs[0.5])
        let partial = try fixture.json("apply", "beard:2", photo, "-o", fixture.path("l4.jpg"),
                                       "--levels", "4")
        #expect(partial["levels"] as? [String] == ["relu4_1"])

        // audit on a photo: files and statistics.
        let auditFolder = fixture.path("audit")
        let audit = try fixture.json("audit", "beard:2", "--image", photo, "-o", auditFolder)
        let files = try #require(audit["files"] as? [String])
        #expect(files.map { ($0 as NSString).lastPathComponent }.sorted()
            == ["usnavy_grace_hopper-combined.png", "usnavy_grace_hopper-relu3_1.png",
                "usnavy_grace_hopper-relu4_1.png", "usnavy_grace_hopper-relu5_1.png"])
        for file in files {
            #expect(try CLIFixture.pngSize(file) == (517, 606))
        }
        #expect(FileManager.default.fileExists(atPath: auditFolder + "/stats.json"))
        let photos = try #require(audit["photos"] as? [[String: Any]])
        let levels = try #require(photos.first?["levels"] as? [[String: Any]])
        #expect(levels.count == 3)
        let shares = levels.compactMap { $0["mass_share"] as? Double }
        #expect(abs(shares.reduce(0, +) - 1) < 1e-9)
        for level in levels {
            let top = try #require(level["top10_share"] as? Double)
            #expect(top >= 0.1 - 1e-9 && top <= 1)
            let max = try #require(level["max"] as? Double)
            let mean = try #require(level["mean"] as? Double)
            #expect(max >= mean && mean > 0)
            let centroid = try #require(level["centroid"] as? [Double])
            #expect(centroid[0] > 0 && centroid[0] < 517 && centroid[1] > 0 && centroid[1] < 606)
        }

        // audit from the stored thumbnails, and against version 1.
        let stored = try fixture.json("audit", "beard:2", "-o", fixture.path("stored"))
        #expect(stored["source"] as? String == "stored")
        #expect((stored["files"] as? [String])?.count == 4)
        #expect(try CLIFixture.pngSize(fixture.path("stored/astronaut-combined.png"))
            == (128, 128))
        let against = try fixture.json("audit", "beard:2", "--image", photo, "--against", "1")
        let comparison = try #require(
            ((against["photos"] as? [[String: Any]])?.first?["against"] as? [String: Any])?[
                "comparison"] as? [String: Any])
        let perLevel = try #require(comparison["levels"] as? [[String: Any]])
        let correlations = Dictionary(uniqueKeysWithValues: perLevel.map {
            ($0["level"] as? String ?? "", $0["correlation"] as? Double ?? .nan)
        })
        // Unchanged levels act identically: their maps correlate perfectly.
        #expect(abs((correlations["relu3_1"] ?? 0) - 1) < 1e-9)
        #expect(abs((correlations["relu5_1"] ?? 0) - 1) < 1e-9)
        #expect((correlations["relu4_1"] ?? 1) < 0.999)

        // export gives back the published content digest.
        let exported = try fixture.json("export", "beard:2", "-o", fixture.path("out.fbk"))
        #expect(exported["digest"] as? String == digest2)
        let reread = try PackageReader.read(
            contentsOf: URL(fileURLWithPath: fixture.path("out.fbk")))
        #expect(reread.contentDigest.description == digest2)

        // verify: clean; a flipped byte in a blob is found.
        #expect(try fixture.json("verify")["clean"] as? Bool == true)
        let blob = try #require(Self.largestBlob(in: fixture.store))
        var bytes = try Data(contentsOf: blob)
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: blob)
        let damaged = fixture.run("verify", "--json")
        #expect(damaged.status == 1)
        #expect(damaged.stderrLines.count == 1)
        #expect((try damaged.json()["damaged"] as? [Any])?.count == 1)
        let damagedText = fixture.run("verify")
        #expect(damagedText.status == 1)
        #expect(damagedText.stderrLines.count == 1)
        #expect(damagedText.stderr.hasPrefix("facelet-registry: error: "))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: blob)
        #expect(fixture.run("verify").status == 0)

        // rm and gc: removing version 1 frees exactly what only version 1 used.
        let show1 = try fixture.json("show", "beard:1")
        let show2 = try fixture.json("show", "beard:2")
        func blobs(_ show: [String: Any]) -> Set<String> {
            let tensors = (show["tensors"] as? [[String: Any]] ?? []).compactMap {
                ($0["sha256"] as? String).map { "sha256:" + $0 }
            }
            let thumbnails = (show["thumbnails"] as? [[String: Any]] ?? []).compactMap {
                $0["digest"] as? String
            }
            return Set(tensors + thumbnails)
        }
        let onlyV1 = blobs(show1).subtracting(blobs(show2))
        #expect(!onlyV1.isEmpty)
        let removed = try fixture.json("rm", "beard:1")
        #expect(removed["removed"] as? String == "beard:1")
        #expect(removed["dropped_tags"] as? [String] == ["stable"])
        let after = try #require(try fixture.json("list")["packages"] as? [[String: Any]])
        #expect(after.first?["versions"] as? [String] == ["2"])
        let gc = try fixture.json("gc")
        #expect(Set(gc["removed_blobs"] as? [String] ?? []) == onlyV1)
        #expect(try fixture.json("verify")["clean"] as? Bool == true)
        _ = try fixture.json("export", "beard:2", "-o", fixture.path("again.fbk"))

        // The audit log saw every change.
        let entries = try #require(try fixture.json("log")["entries"] as? [[String: Any]])
        let actions = entries.compactMap { $0["action"] as? String }
        #expect(actions.first == "gc")
        #expect(actions.contains("rm") && actions.contains("tag"))
        #expect(actions.filter { $0 == "publish" }.count == 3)
    }

    /// The largest file under the store's blobs folder (a weight tensor).
    static func largestBlob(in store: String) -> URL? {
        let root = URL(fileURLWithPath: store).appendingPathComponent("blobs")
        let files = FileManager.default.enumerator(atPath: root.path)?
            .compactMap { $0 as? String }
            .map { root.appendingPathComponent($0) } ?? []
        return files.filter { !$0.hasDirectoryPath }.max { a, b in
            let sizeA = (try? a.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0
            let sizeB = (try? b.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0
            return sizeA < sizeB
        }
    }
}

/// Output files are replaced whole when they already exist.
@Suite struct OutputFileTests {
    @Test func exportAndApplyReplaceExistingFiles() throws {
        let fixture = try CLIFixture()
        let digest = try fixture.storeWithBackbone()
        for _ in 0..<2 {
            #expect(try fixture.json("export", "vgg-narrow", "-o", fixture.path("e.fbb"))[
                "digest"] as? String == digest)
            _ = try fixture.json("apply", "vgg-narrow", CLIFixture.hopperJPEG,
                                 "-o", fixture.path("r.png"))
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: fixture.folder.path)
            .filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }
}
