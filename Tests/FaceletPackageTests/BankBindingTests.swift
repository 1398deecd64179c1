import Foundation
import Testing
@testable import FaceletPackage

@Suite struct BankBindingTests {
    private func bank(for backbone: Package, channels: [String: Int] = ["relu3_1": 4,
                                                                       "relu4_1": 8],
                      digest: Digest? = nil) throws -> Package {
        var manifest = Fixtures.bankManifest(levels: channels.keys.sorted())
        manifest.backbone = digest ?? backbone.contentDigest
        return try PackageWriter.encode(manifest, tensors: Fixtures.bankTensors(channels)).package
    }

    @Test func acceptsABankMadeForTheBackbone() throws {
        let backbone = try Fixtures.backbone().package
        try validateBank(try bank(for: backbone), against: backbone)
    }

    @Test func refusesABankBoundToAnotherBackbone() throws {
        let backbone = try Fixtures.backbone().package
        let other = try bank(for: backbone, digest: Digest.sha256(Data("other".utf8)))
        #expect(code { try validateBank(other, against: backbone) } == .backboneMismatch)
    }

    @Test func refusesALevelTheBackboneLacks() throws {
        let backbone = try Fixtures.backbone().package
        let odd = try bank(for: backbone, channels: ["relu2_1": 2])
        #expect(code { try validateBank(odd, against: backbone) } == .backboneMismatch)
    }

    @Test func refusesChannelsThatDifferFromTheBackbone() throws {
        let backbone = try Fixtures.backbone().package
        let wide = try bank(for: backbone, channels: ["relu3_1": 4, "relu4_1": 16])
        do {
            try validateBank(wide, against: backbone)
            Issue.record("a bank with 16 channels at relu4_1 (backbone: 8) was accepted")
        } catch {
            #expect(error.code == .shapeMismatch)
            #expect(error.context["level"] == "relu4_1")
        }
    }
}
