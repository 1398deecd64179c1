import Foundation
import Testing
@testable import FaceletImaging

/// Bad input must give a clear `ImageError`, never a crash or a huge allocation.
@Suite("Decoding bad input")
struct RobustnessTests {
    @Test("an empty file is not an image")
    func rejectsEmptyData() {
        let error = imageError { try ImageCodec.decode(Data()) }
        #expect(error?.code == .notAnImage)
        #expect(error?.message.contains("empty") == true)
    }

    @Test("a text file is not an image, and the message says it looks like text")
    func rejectsTextFile() {
        let text = Data("name,score\nalice,3\n".utf8)
        let error = imageError { try ImageCodec.decode(text) }
        #expect(error?.code == .notAnImage)
        #expect(error?.message.contains("text") == true)
    }

    @Test("other image formats are named as unsupported",
          arguments: [Array("GIF89a".utf8), Array("BM".utf8) + [0, 0, 0, 0],
                      Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WEBPVP8 ".utf8)])
    func namesUnsupportedFormats(_ bytes: [UInt8]) {
        #expect(imageError { try ImageCodec.decode(Data(bytes)) }?.code == .unsupported)
    }

    @Test("a PNG header declaring 100000x100000 pixels is too large")
    func rejectsHugePNGHeader() throws {
        let variants = try sharedVariants.get()
        let error = imageError { try ImageCodec.decode(contentsOf: variants.file("huge.png")) }
        #expect(error?.code == .tooLarge)
        #expect(error?.message.contains("100000x100000") == true)
        #expect(error?.path?.hasSuffix("huge.png") == true)
    }

    /// SOI, a frame header (SOF0) for 65535 x 65535 pixels (the largest JPEG can state),
    /// then a scan header and EOI: the size is refused before TurboJPEG sees the data.
    static func jpegDeclaring(width: UInt16, height: UInt16, complete: Bool,
                              frame: UInt8 = 0xC0, precision: UInt8 = 8) -> Data {
        var bytes: [UInt8] = [0xFF, 0xD8]
        bytes += [0xFF, frame, 0x00, 0x11, precision, UInt8(height >> 8), UInt8(height & 0xFF),
                  UInt8(width >> 8), UInt8(width & 0xFF), 0x03,
                  0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01]
        if complete {
            bytes += [0xFF, 0xDA, 0x00, 0x0C, 0x03, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11,
                      0x00, 0x3F, 0x00, 0x00, 0xFF, 0xD9]
        }
        return Data(bytes)
    }

    @Test("a JPEG frame header declaring 65535x65535 pixels is too large", arguments: [true, false])
    func rejectsHugeJPEGHeader(complete: Bool) {
        let data = Self.jpegDeclaring(width: 65535, height: 65535, complete: complete)
        let error = imageError { try ImageCodec.decode(data) }
        #expect(error?.code == .tooLarge)
        #expect(error?.message.contains("65535x65535") == true)
    }

    @Test("lossless and 12-bit JPEGs are refused as unsupported",
          arguments: [(UInt8(0xC3), UInt8(8)), (0xC1, 12), (0xCB, 8)])
    func refusesUnsupportedJPEGFrames(_ frame: (UInt8, UInt8)) {
        let data = Self.jpegDeclaring(width: 8, height: 8, complete: true, frame: frame.0,
                                      precision: frame.1)
        #expect(imageError { try ImageCodec.decode(data) }?.code == .unsupported)
    }

    @Test("a file far bigger than any photo within the limit is refused before reading")
    func refusesOversizedFile() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("big.png")
        try Data(PNGStructure.signature).write(to: url)
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: 17 << 20)  // sparse: takes no disk space
        try handle.close()
        let limits = DecodeLimits(maxPixels: 1000)
        let error = imageError { try ImageCodec.decode(contentsOf: url, limits: limits) }
        #expect(error?.code == .tooLarge)
    }

    @Test("limits apply to the header: pixel budget and shortest side")
    func appliesCustomLimits() {
        let tight = DecodeLimits(maxPixels: 100_000)
        #expect(imageError { try ImageCodec.decode(contentsOf: TestPaths.astronaut,
                                                   limits: tight) }?.code == .tooLarge)
        #expect(imageError { try ImageCodec.decode(contentsOf: TestPaths.hopper,
                                                   limits: tight) }?.code == .tooLarge)
        let bigSides = DecodeLimits(minSide: 520)
        #expect(imageError { try ImageCodec.decode(contentsOf: TestPaths.astronaut,
                                                   limits: bigSides) }?.code == .tooSmall)
        #expect(imageError { try ImageCodec.decode(contentsOf: TestPaths.hopper,
                                                   limits: bigSides) }?.code == .tooSmall)
        let exact = DecodeLimits(maxPixels: 512 * 512, minSide: 512)
        #expect(imageError { try ImageCodec.decode(contentsOf: TestPaths.astronaut,
                                                   limits: exact) } == nil)
    }

    @Test("every truncation of a small PNG and JPEG is reported as truncated",
          arguments: ["rgb8.png", "rgba16.png", "palette4_trns.png", "rgb8_interlaced.png",
                      "jpeg_420.jpg", "jpeg_progressive.jpg", "jpeg_orientation_6.jpg",
                      "jpeg_cmyk.jpg"])
    func reportsEveryTruncation(_ file: String) throws {
        let variants = try sharedVariants.get()
        let whole = try Data(contentsOf: variants.file(file))
        #expect(imageError { try ImageCodec.decode(whole) } == nil)
        var wrongCodes: [Int: ImageError.Code] = [:]
        for length in 1..<whole.count {
            let code = imageError { try ImageCodec.decode(whole.prefix(length)) }?.code
            if code != .truncated { wrongCodes[length] = code }
        }
        let firstWrong = wrongCodes.sorted { $0.key < $1.key }.prefix(10)
        #expect(wrongCodes.isEmpty, "\(file): lengths not reported as truncated: \(firstWrong)")
    }

    @Test("truncations of the real photos are reported as truncated",
          arguments: [TestPaths.astronaut, TestPaths.hopper])
    func reportsTruncatedRealPhotos(_ url: URL) throws {
        let whole = try Data(contentsOf: url)
        for length in stride(from: 1, to: whole.count, by: 997) {
            let error = imageError { try ImageCodec.decode(whole.prefix(length)) }
            #expect(error?.code == .truncated, "\(url.lastPathComponent) cut at \(length)")
        }
    }

    @Test("corrupted bytes give an image or an ImageError, never a crash",
          arguments: ["rgb8.png", "graya16.png", "jpeg_420.jpg", "jpeg_progressive.jpg",
                      "jpeg_orientation_5.jpg"])
    func survivesCorruption(_ file: String) throws {
        let variants = try sharedVariants.get()
        let whole = [UInt8](try Data(contentsOf: variants.file(file)))
        var generator = SplitMix64(state: 0x5EED)
        let known: Set<ImageError.Code> = [.notAnImage, .truncated, .tooLarge, .tooSmall,
                                           .unsupported, .decodeFailed]
        for _ in 0..<300 {
            var bytes = whole
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let at = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[at] = UInt8.random(in: 0...255, using: &generator)
            }
            let limits = DecodeLimits(maxPixels: 4_000_000)
            if let error = imageError({ try ImageCodec.decode(Data(bytes), limits: limits) }) {
                #expect(known.contains(error.code))
                #expect(!error.message.isEmpty)
            }
        }
    }

    @Test("a PNG with damaged pixel data fails to decode")
    func rejectsDamagedPNGData() throws {
        let variants = try sharedVariants.get()
        var bytes = [UInt8](try Data(contentsOf: variants.file("rgb8.png")))
        let idat = try #require(bytes.indices.first { index in
            bytes[index...].starts(with: Array("IDAT".utf8))
        })
        for offset in 20..<60 { bytes[idat + offset] ^= 0x5A }
        #expect(imageError { try ImageCodec.decode(Data(bytes)) }?.code == .decodeFailed)
    }

    @Test("a missing file is an I/O error naming the path")
    func reportsMissingFile() {
        let url = URL(fileURLWithPath: "/nonexistent/facelet/photo.png")
        let error = imageError { try ImageCodec.decode(contentsOf: url) }
        #expect(error?.code == .io)
        #expect(error?.path == url.path)
        #expect(error?.description.hasPrefix(url.path) == true)
    }
}
