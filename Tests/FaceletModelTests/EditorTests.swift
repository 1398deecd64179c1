import FaceletImaging
import FaceletModel
import FaceletPackage
import FaceletTensor
import Foundation
import Testing

@Suite("Editor and EditSession")
struct EditorTests {
    static let narrow = 1 / 16.0

    @Test("λ = 0 gives exactly the reconstruction", arguments: [
        OutputMode.image, OutputMode.addInput, OutputMode.difference, OutputMode.affineDifference,
    ])
    func zeroStrengthEqualsReconstruction(_ output: OutputMode) throws {
        let (_, backbone) = try randomBackbone(.vgg19(width: Self.narrow, output: output))
        let bank = try FaceletBank(
            package: RandomWeights.bank(for: backbone, seed: 3, scale: 1).package,
            backbone: backbone)
        let photo = testPhoto(width: 21, height: 19)
        let editor = Editor(backbone: backbone)
        let session = try editor.prepare(photo, bank: bank)

        let atZero = session.render(strength: 0)
        #expect(atZero == (try editor.reconstruct(photo)))
        #expect(session.render(strength: 1, levels: []) == atZero)
        #expect(session.render(strength: 1) != atZero)
    }

    @Test("difference modes reconstruct the photo itself",
          arguments: [OutputMode.difference, OutputMode.affineDifference])
    func differenceReconstructionIsThePhoto(_ output: OutputMode) throws {
        let (_, backbone) = try randomBackbone(.vgg19(width: Self.narrow, output: output))
        let photo = testPhoto(width: 17, height: 23)
        #expect(try Editor(backbone: backbone).reconstruct(photo) == photo)
    }

    @Test("the edit has the photo's size", arguments: [
        (37, 45), (45, 37), (16, 16), (17, 33), (2, 2), (3, 50),
    ])
    func outputSizeEqualsInputSize(_ size: (Int, Int)) throws {
        let (_, backbone) = try randomBackbone(.vgg19(width: Self.narrow))
        let bank = try FaceletBank(
            package: RandomWeights.bank(for: backbone, seed: 3).package, backbone: backbone)
        let photo = testPhoto(width: size.0, height: size.1)
        let edited = try Editor(backbone: backbone).prepare(photo, bank: bank)
            .render(strength: 0.5)
        #expect(edited.width == size.0 && edited.height == size.1)
        #expect(edited.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test("photos under 2x2 are refused", arguments: [(1, 1), (1, 40), (40, 1)])
    func refusesTinyPhotos(_ size: (Int, Int)) throws {
        let (_, backbone) = try randomBackbone(.vgg19(width: Self.narrow))
        let photo = testPhoto(width: size.0, height: size.1)
        #expect {
            _ = try Editor(backbone: backbone).reconstruct(photo)
        } throws: { error in
            (error as? ModelError)?.code == .imageTooSmall
        }
    }

    @Test("photos above the editor's pixel limit are refused")
    func refusesLargePhotos() throws {
        let (_, backbone) = try randomBackbone(.vgg19(width: Self.narrow))
        let editor = Editor(backbone: backbone, maximumPixels: 20 * 20)
        #expect(try editor.reconstruct(testPhoto(width: 20, height: 20)).width == 20)
        #expect {
            _ = try editor.reconstruct(testPhoto(width: 21, height: 20))
        } throws: { error in
            (error as? ModelError)?.code == .imageTooLarge
        }
    }

    @Test("a session moved to another bank renders what a fresh session for it renders",
          arguments: [OutputMode.image, OutputMode.addInput, OutputMode.difference,
                      OutputMode.affineDifference])
    func applyingAnotherBankEqualsAFreshSession(_ output: OutputMode) throws {
        let (_, backbone) = try randomBackbone(.vgg19(width: Self.narrow, output: output))
        let first = try FaceletBank(
            package: RandomWeights.bank(for: backbone, seed: 3, scale: 1).package,
            backbone: backbone)
        let second = try FaceletBank(
            package: RandomWeights.bank(for: backbone, levels: ["relu4_1"], seed: 4, scale: 1,
                                        name: "other-bank").package,
            backbone: backbone)
        let photo = testPhoto(width: 21, height: 19)
        let editor = Editor(backbone: backbone)
        let moved = try editor.prepare(photo, bank: first).applying(second)
        let fresh = try editor.prepare(photo, bank: second)
        #expect(moved.levels == ["relu4_1"])
        #expect(moved.delta == fresh.delta)
        for strength in [0.0, 0.7, 1.5] {
            #expect(moved.render(strength: strength) == fresh.render(strength: strength))
        }
        #expect(moved.render(strength: 1) != (try editor.prepare(photo, bank: first))
            .render(strength: 1))

        let (_, other) = try randomBackbone(.vgg19(width: Self.narrow, output: output), seed: 2)
        let foreign = try FaceletBank(package: RandomWeights.bank(for: other, seed: 3).package,
                                      backbone: other)
        #expect {
            _ = try moved.applying(foreign)
        } throws: { error in
            (error as? ModelError)?.code == .backboneMismatch
        }
    }

    @Test("a bank bound to another backbone is refused")
    func refusesBankOfAnotherBackbone() throws {
        let (_, backbone) = try randomBackbone(.vgg19(width: Self.narrow), seed: 1)
        let (_, other) = try randomBackbone(.vgg19(width: Self.narrow), seed: 2)
        #expect(backbone.contentDigest != other.contentDigest)
        let foreign = try RandomWeights.bank(for: other, seed: 3).package

        #expect {
            _ = try FaceletBank(package: foreign, backbone: backbone)
        } throws: { error in
            (error as? ModelError)?.code == .backboneMismatch
        }
        let bank = try FaceletBank(package: foreign, backbone: other)
        #expect {
            _ = try Editor(backbone: backbone).prepare(testPhoto(width: 8, height: 8), bank: bank)
        } throws: { error in
            (error as? ModelError)?.code == .backboneMismatch
        }
    }

    @Test("a backbone package is not a bank and a bank is not a backbone")
    func refusesWrongKind() throws {
        let (_, backbone) = try randomBackbone(.vgg19(width: Self.narrow))
        let (_, backbonePackage) = try RandomWeights.backbone(.vgg19(width: Self.narrow),
                                                              seed: 1)
        let bankPackage = try RandomWeights.bank(for: backbone, seed: 3).package
        #expect {
            _ = try FaceletBank(package: backbonePackage, backbone: backbone)
        } throws: { error in (error as? ModelError)?.code == .wrongKind }
        #expect {
            _ = try Backbone(package: bankPackage)
        } throws: { error in (error as? ModelError)?.code == .wrongKind }
    }

    @Test("a bank on a level subset only has those levels, and its size counts its weights")
    func bankOnLevelSubset() throws {
        let (_, backbone) = try randomBackbone(.vgg19(width: Self.narrow))
        let package = try RandomWeights.bank(for: backbone, levels: ["relu5_1", "relu3_1"],
                                             seed: 4).package
        let bank = try FaceletBank(package: package, backbone: backbone)
        #expect(bank.levels == ["relu3_1", "relu5_1"])
        let c3 = backbone.level(named: "relu3_1")?.channels ?? 0
        let c5 = backbone.level(named: "relu5_1")?.channels ?? 0
        #expect(bank.byteSize == 4 * 3 * (c3 * c3 * 9 + c3 + c5 * c5 * 9 + c5))
        #expect(bank.contentDigest == package.contentDigest)

        let features = backbone.encode(Tensor(repeating: 0.5, shape: [1, 3, 32, 32]))
        #expect(bank.delta(features).names == ["relu3_1", "relu5_1"])
        #expect(bank.delta(features, levels: ["relu5_1", "relu4_1"]).names == ["relu5_1"])
    }

    @Test("a zero bank leaves the photo as the reconstruction at any strength")
    func zeroBankChangesNothing() throws {
        let (_, backbone) = try randomBackbone(.vgg19(width: Self.narrow, output: .addInput))
        let bank = try FaceletBank(
            package: RandomWeights.bank(for: backbone, seed: 3, scale: 0).package,
            backbone: backbone)
        let photo = testPhoto(width: 20, height: 20)
        let editor = Editor(backbone: backbone)
        let session = try editor.prepare(photo, bank: bank)
        #expect(session.render(strength: 2) == (try editor.reconstruct(photo)))
    }

    @Test("one backbone serves concurrent renders with identical results")
    func concurrentRendersAgree() async throws {
        let (_, backbone) = try randomBackbone(.vgg19(width: Self.narrow))
        let bank = try FaceletBank(
            package: RandomWeights.bank(for: backbone, seed: 3, scale: 1).package,
            backbone: backbone)
        let session = try Editor(backbone: backbone).prepare(testPhoto(width: 24, height: 20),
                                                             bank: bank)
        let expected = session.render(strength: 0.7)
        let results = await withTaskGroup(of: RGBImage.self) { group in
            for _ in 0..<4 { group.addTask { session.render(strength: 0.7) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0 == expected })
    }
}

@Suite("InputPadding")
struct InputPaddingTests {
    @Test("padding splits the extra rows and columns, odd one at the bottom/right", arguments: [
        // width, height, multiple, top, left, bottom, right, mode
        (45, 37, 16, 5, 1, 6, 2, FaceletPackage.Padding.reflect),
        (32, 16, 16, 0, 0, 0, 0, FaceletPackage.Padding.reflect),
        (9, 9, 16, 3, 3, 4, 4, FaceletPackage.Padding.reflect),
        (6, 6, 16, 5, 5, 5, 5, FaceletPackage.Padding.reflect),
        (6, 5, 16, 5, 5, 6, 5, FaceletPackage.Padding.replicate),
        (7, 5, 16, 5, 4, 6, 5, FaceletPackage.Padding.replicate),
        (38, 38, 112, 37, 37, 37, 37, FaceletPackage.Padding.reflect),
        (38, 37, 112, 37, 37, 38, 37, FaceletPackage.Padding.replicate),
        (2, 2, 16, 7, 7, 7, 7, FaceletPackage.Padding.replicate),
    ])
    func splitsPadding(_ row: (Int, Int, Int, Int, Int, Int, Int, FaceletPackage.Padding)) throws {
        let padding = try InputPadding(width: row.0, height: row.1, multiple: row.2,
                                       mode: .reflect)
        let sides: [Int] = [padding.top, padding.left, padding.bottom, padding.right]
        let expected: [Int] = [row.3, row.4, row.5, row.6]
        #expect(sides == expected)
        #expect(padding.mode == row.7)
        #expect(padding.paddedWidth % row.2 == 0 && padding.paddedHeight % row.2 == 0)
    }

    @Test("zero padding stays zero on tiny photos")
    func zeroModeIsKept() throws {
        let padding = try InputPadding(width: 3, height: 3, multiple: 16, mode: .zero)
        #expect(padding.mode == .zero)
    }
}

@Suite("SplitMix64")
struct SplitMix64Tests {
    @Test("matches the published SplitMix64 sequence for seed 0")
    func knownSequence() {
        var generator = SplitMix64(seed: 0)
        #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
        #expect(generator.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(generator.next() == 0x06C4_5D18_8009_454F)
    }

    @Test("the same seed gives the same package bytes")
    func randomPackagesAreDeterministic() throws {
        let arch = Architecture.vgg19(width: 1 / 16.0)
        let first = try RandomWeights.backbone(arch, seed: 5)
        let second = try RandomWeights.backbone(arch, seed: 5)
        let third = try RandomWeights.backbone(arch, seed: 6)
        #expect(first.data == second.data)
        #expect(first.package.contentDigest != third.package.contentDigest)
    }
}
