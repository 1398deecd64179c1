import FaceletImaging
import FaceletPackage
import Foundation
import Testing
@testable import FaceletTraining

@Suite struct PhotoSetTests {
    private func writePNG(_ image: RGBImage, to url: URL) throws {
        try ImageCodec.encodePNG(image).write(to: url)
    }

    @Test func loadsPhotosSkipsOtherFilesAndDigestsContent() throws {
        let folder = try TemporaryFolder()
        try writePNG(TestImages.gradient(width: 40, height: 30, seed: 1),
                     to: folder.file("b.png"))
        try writePNG(TestImages.gradient(width: 20, height: 50, seed: 2),
                     to: folder.file("a.png"))
        try Data("not a photo".utf8).write(to: folder.file("notes.txt"))
        try Data("hidden".utf8).write(to: folder.file(".DS_Store"))
        var warned: [String] = []
        let set = try PhotoSet.load(folder: folder.url, warn: { warned.append($0) })
        #expect(set.photos.map(\.name) == ["a.png", "b.png"])
        #expect(warned == ["skipping notes.txt: not a PNG or JPEG file"])
        #expect(set.warnings == warned)
        #expect(set.photos[0].image.width == 20 && set.photos[0].image.height == 50)

        // Same contents under other names, in another folder: same digest.
        let other = try TemporaryFolder()
        try FileManager.default.copyItem(at: folder.file("a.png"), to: other.file("z.png"))
        try FileManager.default.copyItem(at: folder.file("b.png"), to: other.file("y.png"))
        #expect(try PhotoSet.load(folder: other.url).digest == set.digest)
        let digests = try ["a.png", "b.png"].map { Digest.sha256(try Data(contentsOf:
                                                                  folder.file($0))) }
        let text = "facelet-photo-set-v1\n" + digests.map(\.hex).sorted()
            .map { $0 + "\n" }.joined()
        #expect(set.digest == Digest.sha256(Data(text.utf8)))
    }

    @Test func emptyFolderIsAClearError() throws {
        let folder = try TemporaryFolder()
        try Data("x".utf8).write(to: folder.file("readme.md"))
        #expect(throws: TrainingError.self) { try PhotoSet.load(folder: folder.url) }
        do {
            _ = try PhotoSet.load(folder: folder.url)
        } catch {
            #expect(error.code == .emptyPhotoSet)
            #expect(error.path == folder.url.path)
        }
    }

    @Test func missingFolderIsAClearError() {
        let url = URL(fileURLWithPath: "/nonexistent/facelet-photos")
        do {
            _ = try PhotoSet.load(folder: url)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .folderUnreadable)
        }
    }

    @Test func undecodablePhotoIsReportedOrSkipped() throws {
        let folder = try TemporaryFolder()
        try writePNG(TestImages.gradient(width: 16, height: 16, seed: 1),
                     to: folder.file("good.png"))
        // A PNG signature followed by garbage.
        var broken = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        broken.append(Data(repeating: 7, count: 40))
        try broken.write(to: folder.file("broken.png"))
        do {
            _ = try PhotoSet.load(folder: folder.url)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .unreadablePhoto)
            #expect(error.message.contains("broken.png"))
        }
        let set = try PhotoSet.load(folder: folder.url, skipUnreadable: true)
        #expect(set.count == 1)
        #expect(set.warnings.count == 1 && set.warnings[0].hasPrefix("skipping broken.png"))
    }

    @Test func largePhotosAreReducedToTheWorkingSide() throws {
        let folder = try TemporaryFolder()
        try writePNG(TestImages.gradient(width: 120, height: 80, seed: 3),
                     to: folder.file("big.png"))
        let set = try PhotoSet.load(folder: folder.url, workingSide: 40)
        #expect(set.photos[0].image.width == 60 && set.photos[0].image.height == 40)
    }

    @Test func samplesAreDeterministicAndSeedDependent() {
        let set = TestImages.photoSet(count: 3)
        let options = CropOptions(size: 16)
        let a = set.samples(count: 5, options: options, seed: 42)
        let b = set.samples(count: 5, options: options, seed: 42)
        let c = set.samples(count: 5, options: options, seed: 43)
        #expect(a == b)
        #expect(a != c)
        #expect(a.allSatisfy { $0.width == 16 && $0.height == 16 })
        #expect(set.sample(3, options: options, seed: 42) == a[3])
    }

    @Test func cropOfAConstantPhotoIsConstantAndAverages() {
        let flat = RGBImage(width: 30, height: 20, fill: (0.2, 0.5, 0.8))
        let out = CropResampler.crop(flat, x: 3.3, y: 1.7, width: 15.2, height: 15.2,
                                     outWidth: 7, outHeight: 7, flip: true)
        for c in 0 ..< 3 {
            let expected: Float = [0.2, 0.5, 0.8][c]
            for v in out.pixels[c * 49 ..< (c + 1) * 49] { #expect(abs(v - expected) < 1e-5) }
        }
        // Halving a 4×2 image by area: each output pixel is the mean of a 2×2 block.
        let ramp = RGBImage(width: 4, height: 2, pixels: (0 ..< 24).map(Float.init))
        let half = CropResampler.crop(ramp, x: 0, y: 0, width: 4, height: 2, outWidth: 2,
                                      outHeight: 1, flip: false)
        #expect(half.pixels == [2.5, 4.5, 10.5, 12.5, 18.5, 20.5])
        let flipped = CropResampler.crop(ramp, x: 0, y: 0, width: 4, height: 2, outWidth: 2,
                                         outHeight: 1, flip: true)
        #expect(flipped.pixels == [4.5, 2.5, 12.5, 10.5, 20.5, 18.5])
    }

    @Test func loadsTheSharedPortraits() throws {
        let faces = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../shared/data/faces").standardized
        guard FileManager.default.fileExists(atPath: faces.path) else { return }
        let set = try PhotoSet.load(folder: faces, workingSide: 64)
        #expect(set.count >= 2)
        #expect(set.photos.allSatisfy { min($0.image.width, $0.image.height) == 64 })
    }
}
