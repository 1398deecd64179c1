import FaceletPackage
import Foundation
import Testing
@testable import FaceletStore

@Suite struct PublishTests {
    @Test func publishesABackboneAndABank() throws {
        try withTemporaryStore { store, _ in
            let backbone = try Fixtures.backbone()
            let outcome = try store.publish(backbone)
            #expect(outcome == PublishOutcome(reference: "vgg19-tiny:1",
                                              digest: backbone.contentDigest,
                                              alreadyPresent: false))
            let bank = try Fixtures.bank(backbone: backbone.contentDigest)
            #expect(try store.publish(bank).alreadyPresent == false)

            let list = try store.list()
            #expect(list.map(\.name) == ["beard", "vgg19-tiny"])
            #expect(list[0].kind == .bank && list[1].kind == .backbone)
            #expect(list[0].versions == ["1"] && list[0].latest == "1")

            let record = try store.resolve(ref("beard"))
            #expect(record.digest == bank.contentDigest)
            #expect(record.backbone == backbone.contentDigest)
            let size = bank.tensors.reduce(0) { $0 + $1.bytes.count }
            #expect(record.byteSize == Int64(size))

            let detail = try store.show(ref("beard:1"))
            #expect(detail.manifest == bank.manifest)
            #expect(detail.tensors.map(\.name) == bank.tensors.map(\.name))
            #expect(detail.tensors.map(\.digest) == bank.tensors.map(\.sha256))
            #expect(detail.tensors.first { $0.name == "relu4_1.0.weight" }?.shape == [8, 8, 3, 3])
            #expect(detail.tags == ["latest"])

            let loaded = try store.loadPackage(ref("beard"))
            #expect(loaded.contentDigest == bank.contentDigest)
            #expect(loaded.tensors == bank.tensors)
            #expect(try store.loadPackage(digest: backbone.contentDigest).tensors
                    == backbone.tensors)
        }
    }

    @Test func republishingTheSameContentIsANoOp() throws {
        try withTemporaryStore { store, _ in
            let backbone = try Fixtures.backbone()
            _ = try store.publish(backbone)
            let before = try store.changeCounter()
            let again = try store.publish(backbone)
            #expect(again.alreadyPresent)
            #expect(again.digest == backbone.contentDigest)
            #expect(try store.changeCounter() == before)
            #expect(try store.auditLog(limit: 10).count == 1)
        }
    }

    @Test func refusesDifferentContentUnderAPublishedVersion() throws {
        try withTemporaryStore { store, _ in
            let backbone = try Fixtures.backbone()
            _ = try store.publish(backbone)
            let bank = try Fixtures.bank(backbone: backbone.contentDigest)
            let other = try Fixtures.bank(backbone: backbone.contentDigest,
                                          changed: ["relu3_1.0.bias"])
            _ = try store.publish(bank)
            let error = storeError { _ = try store.publish(other) }
            #expect(error?.code == .versionConflict)
            #expect(error?.message.contains("immutable") == true)
            #expect(try store.resolve(ref("beard:1")).digest == bank.contentDigest)
        }
    }

    @Test func refusesANameUsedByTheOtherKind() throws {
        try withTemporaryStore { store, _ in
            let backbone = try Fixtures.backbone()
            _ = try store.publish(backbone)
            let bank = try Fixtures.bank(name: "vgg19-tiny", version: "2",
                                         backbone: backbone.contentDigest)
            #expect(storeErrorCode { _ = try store.publish(bank) } == .kindConflict)
        }
    }

    @Test func refusesABankWhoseBackboneIsNotInTheStore() throws {
        try withTemporaryStore { store, _ in
            let backbone = try Fixtures.backbone()
            let bank = try Fixtures.bank(backbone: backbone.contentDigest)
            let error = storeError { _ = try store.publish(bank) }
            #expect(error?.code == .backboneMissing)
            #expect(error?.message == "backbone \(backbone.contentDigest) is not in the store; "
                        + "publish the backbone first")
            #expect(try store.list().isEmpty)
            #expect(try store.verify().unreferencedBlobs == 0)
        }
    }

    @Test func refusesABankThatDoesNotFitItsBackbone() throws {
        try withTemporaryStore { store, _ in
            let wide = Architecture.vgg19(width: 1.0 / 32)
            let manifest = Manifest(kind: .backbone, name: "vgg19-wide", version: "1",
                                    architecture: wide)
            let tensors = wide.expectedTensors().sorted { $0.key < $1.key }.map {
                PackageTensor.float32(name: $0.key, shape: $0.value,
                                      values: [Float](repeating: 0, count: $0.value.reduce(1, *)))
            }
            let backbone = try PackageWriter.encode(manifest, tensors: tensors).package
            _ = try store.publish(backbone)
            // The fixture bank has 4/8 channels; this backbone has 8/16.
            let bank = try Fixtures.bank(backbone: backbone.contentDigest)
            #expect(storeErrorCode { _ = try store.publish(bank) } == .invalidPackage)
        }
    }

    @Test func latestFollowsTheHighestVersionInNaturalOrder() throws {
        try withTemporaryStore { store, _ in
            let backbone = try Fixtures.backbone()
            _ = try store.publish(backbone)
            let digest = backbone.contentDigest
            for (index, version) in ["2", "10", "9"].enumerated() {
                _ = try store.publish(Fixtures.bank(version: version, backbone: digest,
                                                    changed: ["relu3_1.0.bias"], variant: index))
            }
            #expect(try store.resolve(ref("beard")).version == "10")
            #expect(try store.list()[0].versions == ["2", "9", "10"])
            try store.remove(ref("beard:10"))
            #expect(try store.resolve(ref("beard")).version == "9")
            #expect(try store.resolve(ref("beard@latest")).version == "9")
        }
    }

    @Test func storesThumbnailsWithTheirVersion() throws {
        try withTemporaryStore { store, _ in
            let backbone = try Fixtures.backbone()
            _ = try store.publish(backbone)
            let bank = try Fixtures.bank(backbone: backbone.contentDigest)
            let thumbs = [
                ThumbnailInput(reference: "face01", level: "combined",
                               png: Fixtures.png("a"), statsJSON: #"{"mean":0.5}"#),
                ThumbnailInput(reference: "face01", level: "relu4_1",
                               png: Fixtures.png("b"), statsJSON: "{}"),
            ]
            _ = try store.publish(bank, thumbnails: thumbs)
            let shown = try store.show(ref("beard")).thumbnails
            #expect(shown.map(\.level) == ["combined", "relu4_1"])
            #expect(shown[0].statsJSON == #"{"mean":0.5}"#)
            #expect(try store.thumbnailData(shown[1].digest) == Fixtures.png("b"))
            let unknown = Digest.sha256(Data("nothing".utf8))
            #expect(storeErrorCode { _ = try store.thumbnailData(unknown) } == .notFound)
        }
    }

    @Test(arguments: [
        ThumbnailInput(reference: "face01", level: "relu5_1", png: Fixtures.png("x"),
                       statsJSON: "{}"),
        ThumbnailInput(reference: "../face", level: "combined", png: Fixtures.png("x"),
                       statsJSON: "{}"),
        ThumbnailInput(reference: "face01", level: "combined", png: Data("GIF89a".utf8),
                       statsJSON: "{}"),
        ThumbnailInput(reference: "face01", level: "combined", png: Fixtures.png("x"),
                       statsJSON: "[1]"),
    ])
    func refusesMalformedThumbnails(thumbnail: ThumbnailInput) throws {
        try withTemporaryStore { store, _ in
            let backbone = try Fixtures.backbone()
            _ = try store.publish(backbone)
            let bank = try Fixtures.bank(backbone: backbone.contentDigest)
            #expect(storeErrorCode { _ = try store.publish(bank, thumbnails: [thumbnail]) }
                    == .invalidPackage)
            #expect(try store.list().map(\.name) == ["vgg19-tiny"])
        }
    }

    @Test func exportGivesTheSameContentDigestAndWriterBytes() throws {
        try withTemporaryStore { store, _ in
            let backbone = try Fixtures.backbone()
            _ = try store.publish(backbone)
            let bank = try Fixtures.bank(backbone: backbone.contentDigest)
            _ = try store.publish(bank)
            let data = try store.export(ref("beard:1"))
            #expect(try PackageReader.read(data).contentDigest == bank.contentDigest)
            let written = try PackageWriter.encode(bank.manifest, tensors: bank.tensors).data
            #expect(data == written)
        }
    }

    @Test func resolveNamesWhatIsMissing() throws {
        try withTemporaryStore { store, _ in
            let backbone = try Fixtures.backbone()
            _ = try store.publish(backbone)
            let noPackage = storeError { _ = try store.resolve(ref("nose")) }
            #expect(noPackage?.code == .notFound)
            #expect(noPackage?.message.contains("no package named nose") == true)
            let noVersion = storeError { _ = try store.resolve(ref("vgg19-tiny:7")) }
            #expect(noVersion?.message.contains("vgg19-tiny:7") == true)
            let noTag = storeError { _ = try store.resolve(ref("vgg19-tiny@stable")) }
            #expect(noTag?.message.contains("has no tag stable") == true)
        }
    }
}
