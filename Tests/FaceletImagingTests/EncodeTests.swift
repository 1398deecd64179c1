import Foundation
import Testing
@testable import FaceletImaging

/// Encoding, round trips, and files that other decoders can read.
@Suite("Encoding and writing photos")
struct EncodeTests {
    /// A deterministic image with smooth structure and some noise, samples in [0, 1].
    static func testImage(width: Int = 37, height: Int = 29) -> RGBImage {
        var generator = SplitMix64(state: 7)
        let count = width * height
        var pixels = [Float](repeating: 0, count: 3 * count)
        for y in 0..<height {
            for x in 0..<width {
                let index = y * width + x
                pixels[index] = Float(x) / Float(width - 1)
                pixels[count + index] = Float(y) / Float(height - 1)
                pixels[2 * count + index] = Float.random(in: 0...1, using: &generator)
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    @Test("PNG round trip gives back the 8-bit values exactly")
    func pngRoundTripIsExact() throws {
        let photo = try ImageCodec.decode(contentsOf: TestPaths.astronaut)
        let again = try ImageCodec.decode(try ImageCodec.encodePNG(photo))
        #expect(again == photo)

        let image = Self.testImage()
        let decoded = try ImageCodec.decode(try ImageCodec.encodePNG(image))
        #expect(decoded.pixels == image.pixels.map { Float(RGBImage.quantize($0)) / 255 })
    }

    @Test("out-of-range and NaN samples are clamped when encoding")
    func encodingClampsSamples() throws {
        let image = RGBImage(width: 2, height: 1, pixels: [-0.5, 1.5, .nan, .infinity, 0.5, 0.2])
        let decoded = try ImageCodec.decode(try ImageCodec.encodePNG(image))
        let expected: [Float] = [0, 1, 0, 1, 128 / 255, 51 / 255]
        #expect(decoded.pixels == expected)
    }

    @Test("JPEG round trip stays close at quality 92 and closer at 100")
    func jpegRoundTripIsClose() throws {
        let photo = try ImageCodec.decode(contentsOf: TestPaths.hopper)
        let at92 = try ImageCodec.decode(try ImageCodec.encodeJPEG(photo))
        let error92 = differences(at92.pixels, photo.pixels)
        #expect(at92.width == photo.width && at92.height == photo.height)
        #expect(error92.mean < 1.5 / 255, "mean \(error92.mean * 255)/255")
        #expect(error92.max < 40 / 255, "max \(error92.max * 255)/255")
        let at100 = try ImageCodec.decode(try ImageCodec.encodeJPEG(photo, quality: 100))
        let error100 = differences(at100.pixels, photo.pixels)
        #expect(error100.mean < 0.6 / 255, "mean \(error100.mean * 255)/255")
        #expect(error100.mean < error92.mean)
    }

    @Test("files we write decode the same in Pillow")
    func pillowReadsWhatWeWrite() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let image = Self.testImage()
        for name in ["out.png", "out.jpg"] {
            let url = directory.appendingPathComponent(name)
            try ImageCodec.write(image, to: url)
            let ours = try ImageCodec.decode(contentsOf: url)
            let theirs = try pillowDecode(url)
            let tolerance: Float = name.hasSuffix(".png") ? 1e-6 : 3 / 255
            #expect(differences(ours.pixels, theirs).max <= tolerance, "\(name)")
        }
    }

    /// Pillow's decode of a file as planar CHW floats.
    private func pillowDecode(_ url: URL) throws -> [Float] {
        let script = """
            import sys, numpy as np
            from PIL import Image
            a = np.asarray(Image.open(sys.argv[1]).convert("RGB"), dtype=np.float32) / 255
            planar = np.ascontiguousarray(a.transpose(2, 0, 1)).astype("<f4")
            sys.stdout.buffer.write(planar.tobytes())
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, url.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "python3 with numpy and Pillow is needed")
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map { index in
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(
                    fromByteOffset: 4 * index, as: UInt32.self)))
            }
        }
    }

    @Test("write picks the format from the extension and replaces files atomically")
    func writesByExtension() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let image = Self.testImage()
        let expectations: [(String, [UInt8])] = [
            ("a.png", [0x89, 0x50, 0x4E, 0x47]), ("b.JPG", [0xFF, 0xD8, 0xFF]),
            ("c.jpeg", [0xFF, 0xD8, 0xFF]),
        ]
        for (name, magic) in expectations {
            let url = directory.appendingPathComponent(name)
            try ImageCodec.write(RGBImage(width: 3, height: 3, fill: (1, 0, 0)), to: url)
            try ImageCodec.write(image, to: url)
            let bytes = [UInt8](try Data(contentsOf: url))
            #expect(bytes.starts(with: magic), "\(name)")
            #expect(try ImageCodec.decode(contentsOf: url).width == image.width)
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(Set(leftovers) == ["a.png", "b.JPG", "c.jpeg"])
    }

    @Test("write refuses unknown extensions and reports unwritable places")
    func writeReportsProblems() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let image = RGBImage(width: 2, height: 2, fill: (0.5, 0.5, 0.5))
        let gif = directory.appendingPathComponent("x.gif")
        let unsupported = imageError { try ImageCodec.write(image, to: gif) }
        #expect(unsupported?.code == .unsupported)
        #expect(unsupported?.path == gif.path)
        let missing = directory.appendingPathComponent("no/such/dir/x.png")
        #expect(imageError { try ImageCodec.write(image, to: missing) }?.code == .io)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test("output formats follow the extension, case-insensitively",
          arguments: [("a.png", ImageFormat.png), ("dir.v2/B.PNG", .png), ("c.jpg", .jpeg),
                      ("d.JPEG", .jpeg), ("/tmp/e.Jpg", .jpeg)])
    func choosesFormatByExtension(_ path: String, _ format: ImageFormat) throws {
        #expect(try ImageFormat.forOutputPath(path) == format)
    }

    @Test("paths without a known image extension are refused",
          arguments: ["photo", "photo.gif", "dir.png/photo", ".png", "photo.png.txt"])
    func refusesOtherExtensions(_ path: String) {
        #expect(imageError { try ImageFormat.forOutputPath(path) }?.code == .unsupported)
    }

    @Test("a solid fill sets every sample of each plane")
    func fillSetsPlanes() {
        let image = RGBImage(width: 4, height: 3, fill: (0.1, 0.2, 0.3))
        let planes: [[Float]] = [0.1, 0.2, 0.3].map { Array(repeating: $0, count: 12) }
        #expect(image.pixels == planes.flatMap { $0 })
        let corner = image[3, 2]
        #expect(corner.0 == 0.1 && corner.1 == 0.2 && corner.2 == 0.3)
    }
}
