import FaceletImaging
import FaceletTraining
import Foundation
import Testing

/// `transform-photos` writes T(x) for each photo, so a known-answer target set can be made.
@Suite struct TransformPhotosTests {
    @Test func writesTheTransformOfEveryPhotoAndSkipsOtherFiles() throws {
        let fixture = try CLIFixture()
        let manager = FileManager.default
        try manager.createDirectory(atPath: fixture.path("x"), withIntermediateDirectories: true)
        let photo = CLIFixture.faces.appendingPathComponent("nasa_eileen_collins_astronaut.png")
        try manager.copyItem(atPath: photo.path, toPath: fixture.path("x/astronaut.png"))
        try Data("not a photo".utf8).write(to: URL(fileURLWithPath: fixture.path("x/notes.txt")))

        let result = fixture.run("transform-photos", "--photos", fixture.path("x"),
                                 "--transform", "bright-patch", "-o", fixture.path("y"))
        #expect(result.status == 0)
        #expect(result.stderr.contains("notes.txt"))

        let written = try ImageCodec.decode(contentsOf: URL(fileURLWithPath:
            fixture.path("y/astronaut.png")))
        let expected = PhotoTransform.brightPatch.apply(try ImageCodec.decode(contentsOf: photo))
        #expect(written.width == 512 && written.height == 512)
        // The only difference is the 8-bit rounding of the written PNG.
        let worst = zip(written.pixels, expected.image.pixels).map { abs($0 - $1) }.max() ?? 1
        #expect(worst <= 0.5 / 255 + 1e-6)
        #expect(!manager.fileExists(atPath: fixture.path("y/notes.png")))
    }

    @Test func refusesAFolderWithoutPhotosAndAnUnknownTransform() throws {
        let fixture = try CLIFixture()
        try FileManager.default.createDirectory(atPath: fixture.path("empty"),
                                                withIntermediateDirectories: true)
        let empty = fixture.run("transform-photos", "--photos", fixture.path("empty"),
                                "-o", fixture.path("y"))
        #expect(empty.status == 1)
        #expect(empty.stderrLines.count == 1)
        let unknown = fixture.run("transform-photos", "--photos", fixture.path("empty"),
                                  "--transform", "sepia", "-o", fixture.path("y"))
        #expect(unknown.status == 2)
        #expect(unknown.stderrLines.count == 1)
    }
}
