import Foundation
import Testing
@testable import FaceletPackage

@Suite struct ContentDigestTests {
    @Test func hashesTheDocumentedTextLineByLine() {
        let manifest = Manifest(kind: .bank, name: "x", version: "1",
                                strength: StrengthRange(default: 0.5, min: 0, max: 1))
        let tensors = [
            PackageTensor.float32(name: "\u{e9}", shape: [2], values: [1, 2]),
            PackageTensor.float32(name: "b", shape: [], values: [3]),
            PackageTensor.float32(name: "B", shape: [1, 2], values: [4, 5]),
        ]
        // Written out by hand from docs/format.md; names in UTF-8 byte order: "B", "b", "é".
        let canonical = #"{"description":"","kind":"bank","name":"x","provenance":{},"#
            + #""strength":{"default":0.5,"max":1,"min":0},"tensors":{},"version":"1"}"#
        #expect(String(decoding: manifest.canonicalJSON(), as: UTF8.self) == canonical)
        let text = "facelet-content-v1\n"
            + "manifest \(Digest.sha256(Data(canonical.utf8)).hex)\n"
            + "tensor B F32 1,2 \(tensors[2].sha256.hex)\n"
            + "tensor b F32  \(tensors[1].sha256.hex)\n"
            + "tensor \u{e9} F32 2 \(tensors[0].sha256.hex)\n"
        #expect(ContentDigest.compute(manifest: manifest, tensors: tensors)
                == Digest.sha256(Data(text.utf8)))
        // The tensor hashes are of the little-endian float32 bytes.
        #expect(tensors[1].sha256 == Digest.sha256(Data([0, 0, 0x40, 0x40])))
    }

    @Test func dependsOnContentNotOnLayout() throws {
        let (data, package) = try Fixtures.bank()
        // The hand-built file lays the header out differently (key order, no padding).
        let handBuilt = Fixtures.handBuiltBank(Fixtures.bankTensors())
        #expect(handBuilt != data)
        #expect(try PackageReader.read(handBuilt).contentDigest == package.contentDigest)
    }

    @Test func changesWithAnyTensorByteOrManifestField() throws {
        let base = try Fixtures.bank().package
        var tensors = Fixtures.bankTensors()
        var bytes = tensors[0].bytes
        bytes[0] ^= 0x80
        tensors[0] = PackageTensor(name: tensors[0].name, dtype: .f32, shape: tensors[0].shape,
                                   bytes: bytes)
        let flipped = try PackageWriter.encode(Fixtures.bankManifest(), tensors: tensors).package
        #expect(flipped.contentDigest != base.contentDigest)
        var manifest = Fixtures.bankManifest()
        manifest.description += " "
        let edited = try PackageWriter.encode(manifest, tensors: Fixtures.bankTensors()).package
        #expect(edited.contentDigest != base.contentDigest)
    }
}
