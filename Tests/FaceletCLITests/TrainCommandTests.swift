import Foundation
import Testing
@testable import FaceletCLI

/// `train` learns a bank from two photo folders that `publish` then accepts.
@Suite struct TrainCommandTests {
    @Test func trainsABankThatPublishes() throws {
        let fixture = try CLIFixture()
        try fixture.storeWithBackbone()
        let manager = FileManager.default
        for (folder, photo) in [("x", "usnavy_grace_hopper.jpg"),
                                ("y", "nasa_eileen_collins_astronaut.png")] {
            try manager.createDirectory(atPath: fixture.path(folder),
                                        withIntermediateDirectories: true)
            try manager.copyItem(atPath: CLIFixture.faces.appendingPathComponent(photo).path,
                                 toPath: fixture.path("\(folder)/\(photo)"))
        }
        let trained = try fixture.json("train", "bright", "--backbone", "vgg-narrow",
                                       "--source", fixture.path("x"), "--target", fixture.path("y"),
                                       "--samples", "4", "--k", "2", "--epochs", "2",
                                       "-o", fixture.path("bright.fbk"))
        #expect(trained["method"] as? String == "facelet")
        #expect(trained["epochs"] as? Int == 2)
        let initial = try #require(trained["initial_loss"] as? Double)
        let final = try #require(trained["final_loss"] as? Double)
        #expect(initial.isFinite && final.isFinite)
        let published = try fixture.json("publish", fixture.path("bright.fbk"))
        #expect(published["digest"] as? String == trained["digest"] as? String)
        let show = try fixture.json("show", "bright")
        let provenance = try #require(show["provenance"] as? [String: String])
        #expect(provenance["method"] == "facelet")

        let bad = fixture.run("train", "bright", "--backbone", "vgg-narrow",
                              "--source", fixture.path("nowhere"), "--target", fixture.path("y"),
                              "-o", fixture.path("b2.fbk"))
        #expect(bad.status == 1)
        #expect(bad.stderrLines.count == 1)
        #expect(!manager.fileExists(atPath: fixture.path("b2.fbk")))
    }

    @Test func pairedTrainingNeedsTheSourcePhotosEdited() throws {
        let fixture = try CLIFixture()
        try fixture.storeWithBackbone()
        let manager = FileManager.default
        try manager.createDirectory(atPath: fixture.path("x"), withIntermediateDirectories: true)
        for photo in ["usnavy_grace_hopper.jpg", "nasa_eileen_collins_astronaut.png"] {
            try manager.copyItem(atPath: CLIFixture.faces.appendingPathComponent(photo).path,
                                 toPath: fixture.path("x/\(photo)"))
        }
        _ = try fixture.json("transform-photos", "--photos", fixture.path("x"),
                             "--transform", "warm-grade", "-o", fixture.path("y"))
        let trained = try fixture.json("train", "warm", "--backbone", "vgg-narrow",
                                       "--source", fixture.path("x"), "--target", fixture.path("y"),
                                       "--paired", "--k", "1", "--neighbour-grid", "4",
                                       "--samples", "4", "--epochs", "1",
                                       "-o", fixture.path("warm.fbk"))
        #expect(trained["k"] as? Int == 1)
        _ = try fixture.json("publish", fixture.path("warm.fbk"))
        let provenance = try #require(try fixture.json("show", "warm")["provenance"]
                                        as? [String: String])
        #expect(provenance["paired_crops"] == "true" && provenance["neighbour_grid"] == "4")

        // With --checkpoint the same run writes the same bank and removes its checkpoint.
        let again = try fixture.json("train", "warm", "--backbone", "vgg-narrow",
                                     "--source", fixture.path("x"), "--target", fixture.path("y"),
                                     "--paired", "--k", "1", "--neighbour-grid", "4",
                                     "--samples", "4", "--epochs", "1",
                                     "--checkpoint", fixture.path("warm.ckpt"),
                                     "-o", fixture.path("warm-again.fbk"))
        #expect(again["digest"] as? String == trained["digest"] as? String)
        #expect(!manager.fileExists(atPath: fixture.path("warm.ckpt")))

        // A target folder that is not the source edited is refused, and nothing is written.
        try manager.removeItem(atPath: fixture.path("y/usnavy_grace_hopper.png"))
        let bad = fixture.run("train", "warm", "--backbone", "vgg-narrow",
                              "--source", fixture.path("x"), "--target", fixture.path("y"),
                              "--paired", "--samples", "4", "-o", fixture.path("w2.fbk"))
        #expect(bad.status == 1)
        #expect(bad.stderrLines.count == 1 && bad.stderrLines[0].contains("--paired"))
        #expect(!manager.fileExists(atPath: fixture.path("w2.fbk")))
    }

    @Test func aGuidedChangeIsWrittenIntoTheBankAndShown() throws {
        let fixture = try CLIFixture()
        try fixture.storeWithBackbone()
        let manager = FileManager.default
        try manager.createDirectory(atPath: fixture.path("x"), withIntermediateDirectories: true)
        try manager.copyItem(
            atPath: CLIFixture.faces.appendingPathComponent("usnavy_grace_hopper.jpg").path,
            toPath: fixture.path("x/usnavy_grace_hopper.jpg"))
        _ = try fixture.json("transform-photos", "--photos", fixture.path("x"),
                             "--transform", "warm-grade", "-o", fixture.path("y"))
        let common = ["train", "warm", "--backbone", "vgg-narrow", "--source", fixture.path("x"),
                      "--target", fixture.path("y"), "--paired", "--k", "1", "--samples", "4",
                      "--epochs", "1"]
        let trained = fixture.run(common + ["--guide-radius", "12", "--guide-epsilon", "0.004",
                                            "-o", fixture.path("warm.fbk")])
        #expect(trained.status == 0, "\(trained.stderr)")
        _ = try fixture.json("publish", fixture.path("warm.fbk"))
        let guide = try #require(try fixture.json("show", "warm")["guide"] as? [String: Any])
        #expect(guide["radius"] as? Int == 12 && guide["epsilon"] as? Double == 0.004)
        let applied = fixture.run("apply", "warm",
                                  CLIFixture.faces.appendingPathComponent(
                                      "usnavy_grace_hopper.jpg").path,
                                  "-o", fixture.path("out.png"))
        #expect(applied.status == 0)

        for (options, message) in [(["--guide-epsilon", "0.01"], "needs --guide-radius"),
                                   (["--guide-radius", "0"], "--guide-radius must be 1-1024"),
                                   (["--guide-radius", "1.5"], "--guide-radius needs a whole"),
                                   (["--guide-radius", "4", "--guide-epsilon", "3"],
                                    "--guide-epsilon must be in [0.000001, 1]"),
                                   (["--guide-radius", "4", "--guide-epsilon", "1e-20"],
                                    "--guide-epsilon must be in [0.000001, 1]")] {
            let bad = fixture.run(common + options + ["-o", fixture.path("bad.fbk")])
            #expect(bad.status == 2, "\(options)")
            #expect(bad.stderrLines.count == 1 && bad.stderrLines[0].contains(message),
                    "\(bad.stderrLines)")
            #expect(!manager.fileExists(atPath: fixture.path("bad.fbk")))
        }
    }
}

/// `train-decoder` writes a backbone with the same encoder and a retrained decoder.
@Suite struct TrainDecoderCommandTests {
    @Test func retrainsTheDecoderAndKeepsTheEncoder() throws {
        let fixture = try CLIFixture()
        try fixture.storeWithBackbone()
        try FileManager.default.createDirectory(atPath: fixture.path("photos"),
                                                withIntermediateDirectories: true)
        for photo in ["usnavy_grace_hopper.jpg", "nasa_eileen_collins_astronaut.png"] {
            try FileManager.default.copyItem(
                atPath: CLIFixture.faces.appendingPathComponent(photo).path,
                toPath: fixture.path("photos/\(photo)"))
        }
        let trained = try fixture.json("train-decoder", "--backbone", "vgg-narrow",
                                       "--photos", fixture.path("photos"), "--steps", "2",
                                       "--batch", "2", "--name", "vgg-tuned",
                                       "-o", fixture.path("tuned.fbb"))
        #expect(trained["steps"] as? Int == 2)
        #expect((trained["final_loss"] as? Double)?.isFinite == true)
        _ = try fixture.json("publish", fixture.path("tuned.fbb"))
        let diff = try fixture.json("diff", "vgg-narrow:1", "vgg-tuned:1")
        let changed = try #require(diff["changed"] as? [String])
        #expect(!changed.isEmpty)
        #expect(changed.allSatisfy { $0.hasPrefix("decoder.") })
        let unchanged = try #require(diff["unchanged"] as? [String])
        #expect(unchanged.contains("encoder.conv1_1.weight"))
        let provenance = try #require(try fixture.json("show", "vgg-tuned")["provenance"]
                                        as? [String: String])
        let start = try #require(try fixture.json("show", "vgg-narrow")["digest"] as? String)
        #expect(provenance["decoder_started_from"] == start)
        #expect(provenance["pixel_weight"] == "1.0")

        let shifted = try fixture.json("train-decoder", "--backbone", "vgg-narrow",
                                       "--photos", fixture.path("photos"), "--steps", "2",
                                       "--batch", "2", "--shifted-steps", "2",
                                       "--checkpoint", fixture.path("s.ckpt"),
                                       "--name", "vgg-shifted", "-o", fixture.path("s.fbb"))
        #expect(shifted["steps"] as? Int == 2)
        #expect(!FileManager.default.fileExists(atPath: fixture.path("s.ckpt")))
        _ = try fixture.json("publish", fixture.path("s.fbb"))
        let shiftedProvenance = try #require(try fixture.json("show", "vgg-shifted")["provenance"]
                                               as? [String: String])
        #expect(shiftedProvenance["shifted_steps"] == "2")

        let nothing = fixture.run("train-decoder", "--backbone", "vgg-narrow",
                                  "--photos", fixture.path("photos"), "--pixel-weight", "0",
                                  "--omega", "0", "-o", fixture.path("none.fbb"))
        #expect(nothing.status != 0)
        #expect(nothing.stderrLines.count == 1
                    && nothing.stderrLines[0].contains("nothing to train"))
        #expect(!FileManager.default.fileExists(atPath: fixture.path("none.fbb")))
    }

    @Test func aRetrainedBackboneCountsOnFromItsVersion() throws {
        let fixture = try CLIFixture()
        try fixture.storeWithBackbone(outputMode: "difference")
        try FileManager.default.createDirectory(atPath: fixture.path("photos"),
                                                withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: CLIFixture.faces.appendingPathComponent("usnavy_grace_hopper.jpg").path,
            toPath: fixture.path("photos/hopper.jpg"))
        let common = ["train-decoder", "--backbone", "vgg-narrow", "--photos",
                      fixture.path("photos"), "--steps", "1", "--batch", "1"]
        // Under the same name the version counts on, so the result publishes beside its start.
        let trained = try fixture.json(common + ["-o", fixture.path("next.fbb")])
        #expect(trained["name"] as? String == "vgg-narrow" && trained["version"] as? String == "2")
        _ = try fixture.json("publish", fixture.path("next.fbb"))
        #expect(try fixture.json("show", "vgg-narrow")["version"] as? String == "2")

        // Refused before any work: a colour-transform decoder without paired edits (a usage
        // error), and an output path that is a folder.
        let noPairs = fixture.run(common + ["--output-mode", "affine-difference",
                                            "-o", fixture.path("affine.fbb")])
        #expect(noPairs.status == 2)
        #expect(noPairs.stderrLines.count == 1
                    && noPairs.stderrLines[0].contains("give --edit-pairs above 0"))
        let folder = fixture.run(common + ["-o", fixture.path("photos")])
        #expect(folder.status == 1)
        #expect(folder.stderrLines.count == 1 && folder.stderrLines[0].contains("it is a folder"))

        // A photo that claims to be a PNG but is cut short: refused by name, or skipped on
        // request.
        let png = try Data(contentsOf: CLIFixture.faces.appendingPathComponent(
            "nasa_eileen_collins_astronaut.png"))
        try png.prefix(200).write(to: URL(fileURLWithPath: fixture.path("photos/cut.png")))
        let refused = fixture.run(common + ["-o", fixture.path("cut.fbb")])
        #expect(refused.status == 1)
        #expect(refused.stderrLines.count == 1 && refused.stderrLines[0].contains("cut.png")
                    && refused.stderrLines[0].contains("--skip-unreadable"))
        let skipped = fixture.run(common + ["--skip-unreadable", "-o", fixture.path("cut.fbb")])
        #expect(skipped.status == 0, "\(skipped.stderr)")
        #expect(skipped.stderr.contains("skipping cut.png"))
        #expect(FileManager.default.fileExists(atPath: fixture.path("cut.fbb")))
    }
}

/// `bench-effect` reports every method's closure on a known-answer effect.
@Suite struct BenchEffectCommandTests {
    @Test func reportsEachMethodOnAKnownEffect() throws {
        let fixture = try CLIFixture()
        try fixture.storeWithBackbone()
        try FileManager.default.createDirectory(atPath: fixture.path("photos"),
                                                withIntermediateDirectories: true)
        for photo in ["usnavy_grace_hopper.jpg", "nasa_eileen_collins_astronaut.png"] {
            try FileManager.default.copyItem(
                atPath: CLIFixture.faces.appendingPathComponent(photo).path,
                toPath: fixture.path("photos/\(photo)"))
        }
        let result = try fixture.json("bench-effect", "--backbone", "vgg-narrow",
                                      "--photos", fixture.path("photos"), "--samples", "4",
                                      "--k", "2", "--epochs", "1")
        #expect(result["transform"] as? String == "warm-grade")
        #expect(result["training_photos"] as? Int == 1)
        let methods = try #require(result["methods"] as? [[String: Any]])
        #expect(Set(methods.compactMap { $0["method"] as? String })
            == ["global-mean", "knn", "facelet"])
        for method in methods {
            #expect((method["closure"] as? Double)?.isFinite == true)
        }
    }
}

/// How training progress lines show the time left.
@Suite struct DurationFormatTests {
    @Test(arguments: [(0.0, "0 s"), (41.6, "42 s"), (59.4, "59 s"), (185, "3 min 05 s"),
                      (3599, "59 min 59 s"), (3720, "1 h 02 min"), (-1, "?"), (.nan, "?")])
    func durationsReadAsSecondsMinutesOrHours(seconds: Double, text: String) {
        #expect(Format.duration(seconds) == text)
    }
}
