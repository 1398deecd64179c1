import FaceletPackage
import FaceletStore
import Foundation
import Testing
@testable import FaceletRemote

@Suite struct MirrorPullTests {
    @Test func mirrorWritesTheReadAPIAsFiles() throws {
        let fixture = try RemoteFixture()
        let (backbone, bank) = try fixture.publishBackboneAndBank()
        let directory = fixture.path("mirror")
        let report = try StaticMirror(store: fixture.source).write(to: directory)

        #expect(report.versions == 2)
        #expect(report.documentsWritten == 2)
        // Every tensor blob of both packages, plus the bank's thumbnail.
        #expect(report.blobsWritten == backbone.tensors.count + bank.tensors.count + 1)
        let index = try RegistryJSON.decode(
            RegistryIndex.self,
            from: Data(contentsOf: URL(fileURLWithPath: directory + "/v1/index")))
        #expect(index == (try fixture.source.registryIndex()))
        let document = try Data(contentsOf: URL(
            fileURLWithPath: directory + "/" + RegistryPaths.versionDocument(bank.contentDigest)))
        #expect(document == RegistryJSON.encode(
            try fixture.source.versionDocument(digest: bank.contentDigest)))
        for tensor in bank.tensors {
            let blob = try Data(contentsOf: URL(
                fileURLWithPath: directory + "/" + RegistryPaths.blob(tensor.sha256)))
            #expect(blob == tensor.bytes)
        }
        // No temporary file is left beside the blobs.
        let names = try FileManager.default.contentsOfDirectory(
            atPath: directory + "/v1/blobs/sha256")
        #expect(!names.contains { $0.hasPrefix(".") })
    }

    @Test func mirrorAgainKeepsWhatIsThere() throws {
        let fixture = try RemoteFixture()
        let (backbone, _) = try fixture.publishBackboneAndBank()
        try fixture.mirror()
        let bank2 = try Fixtures.bank(version: "2", backbone: backbone.contentDigest,
                                      changed: ["relu3_1.0.weight"])
        _ = try fixture.source.publish(bank2)

        let report = try StaticMirror(store: fixture.source).write(to: fixture.path("mirror"))
        #expect(report.versions == 3)
        #expect(report.documentsWritten == 1)
        #expect(report.blobsWritten == 1)
        #expect(report.bytesWritten == 4 * 4 * 3 * 3 * 4)

        // A blob of the wrong size (a cut-off copy) is written again.
        let victim = fixture.path("mirror") + "/" + RegistryPaths.blob(bank2.tensors[0].sha256)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: victim))
        let repaired = try StaticMirror(store: fixture.source).write(to: fixture.path("mirror"))
        #expect(repaired.blobsWritten == 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: victim)) == bank2.tensors[0].bytes)
    }

    @Test func pullFromAFolderBringsTheBackboneAlong() throws {
        let fixture = try RemoteFixture()
        let (backbone, bank) = try fixture.publishBackboneAndBank()
        try fixture.mirror()

        let result = try Puller(store: fixture.destination, client: fixture.folderClient())
            .pull(Reference(parsing: "beard"))

        #expect(result.reference == "beard:1")
        #expect(result.digest == bank.contentDigest)
        #expect(result.alreadyPresent == false)
        #expect(result.backbone?.result.digest == backbone.contentDigest)
        #expect(result.backbone?.result.downloadedBlobs == backbone.tensors.count)
        #expect(result.downloadedBlobs == bank.tensors.count + 1)
        let pulled = try fixture.destination.loadPackage(Reference(parsing: "beard:1"))
        #expect(pulled.contentDigest == bank.contentDigest)
        #expect(pulled.tensors == bank.tensors)
        let shown = try fixture.destination.show(Reference(parsing: "beard:1"))
        #expect(shown.thumbnails.map(\.reference) == ["face01"])
        #expect(try fixture.destination.thumbnailData(shown.thumbnails[0].digest)
                    == Fixtures.png("beard-1"))
        #expect(try fixture.destination.loadPackage(digest: backbone.contentDigest)
                    .contentDigest == backbone.contentDigest)
        // Verified downloads were moved into blobs/; nothing is left half done.
        #expect(fixture.partialFiles() == [])
        #expect(try fixture.destination.verify().isClean)
    }

    @Test func pullResolvesVersionsAndTags() throws {
        let fixture = try RemoteFixture()
        let (backbone, bank1) = try fixture.publishBackboneAndBank()
        let bank2 = try Fixtures.bank(version: "2", backbone: backbone.contentDigest,
                                      changed: ["relu4_1.2.bias"])
        _ = try fixture.source.publish(bank2)
        try fixture.source.tag(Reference(parsing: "beard:1"), as: "stable")
        try fixture.mirror()
        let puller = Puller(store: fixture.destination, client: try fixture.folderClient())

        #expect(try puller.pull(Reference(parsing: "beard@stable")).digest == bank1.contentDigest)
        #expect(try puller.pull(Reference(parsing: "beard")).digest == bank2.contentDigest)
        let again = try puller.pull(Reference(parsing: "beard:2"))
        #expect(again.alreadyPresent)
        #expect(again.downloadedBlobs == 0)
        #expect(errorCode { _ = try puller.pull(Reference(parsing: "beard:3")) }
                    == "remote.not_found")
        #expect(errorCode { _ = try puller.pull(Reference(parsing: "beard@beta")) }
                    == "remote.not_found")
        #expect(errorCode { _ = try puller.pull(Reference(parsing: "moustache")) }
                    == "remote.not_found")
        #expect(try fixture.destination.list().map(\.name) == ["beard", "vgg19-tiny"])
        #expect(try fixture.destination.list().first?.versions == ["1", "2"])
    }

    @Test func alteredVersionDocumentIsRefusedBeforeAnyDownload() throws {
        let fixture = try RemoteFixture()
        let (_, bank) = try fixture.publishBackboneAndBank()
        let directory = try fixture.mirror()
        let path = directory + "/" + RegistryPaths.versionDocument(bank.contentDigest)
        var document = try RegistryJSON.decode(
            VersionDocument.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        document.manifestJSON = document.manifestJSON
            .replacingOccurrences(of: "Adds a beard.", with: "Adds a moustache.")
        try RegistryJSON.encode(document).write(to: URL(fileURLWithPath: path))
        let before = try fixture.destinationSnapshot()

        let error = thrownError {
            _ = try Puller(store: fixture.destination, client: fixture.folderClient())
                .pull(Reference(parsing: "beard"))
        } as? RemoteError
        #expect(error?.code == .digestMismatch)
        #expect(error?.message.contains("altered") == true)
        #expect(try fixture.destinationSnapshot() == before)
        #expect(fixture.partialFiles() == [])
    }

    @Test func unsignedVersionIsRefusedWhenThePolicyIsOn() throws {
        let fixture = try RemoteFixture()
        try fixture.publishBackboneAndBank()
        try fixture.mirror()
        let before = try fixture.destinationSnapshot()
        let puller = Puller(store: fixture.destination, client: try fixture.folderClient(),
                            options: PullOptions(requireSignature: true))

        let error = thrownError { _ = try puller.pull(Reference(parsing: "beard")) }
        #expect((error as? StoreError)?.code == .unsigned)
        #expect(try fixture.destinationSnapshot() == before)
    }

    @Test func signedVersionPassesThePolicyAndKeepsItsSignature() throws {
        let fixture = try RemoteFixture()
        let backbone = try Fixtures.backbone()
        let key = try SigningKey.generate()
        _ = try fixture.source.publish(
            backbone, signatures: [try key.sign(contentDigest: backbone.contentDigest)])
        try fixture.mirror()
        try fixture.destination.trust(key.publicKey)

        let result = try Puller(store: fixture.destination, client: fixture.folderClient(),
                                options: PullOptions(requireSignature: true))
            .pull(Reference(parsing: "vgg19-tiny"))
        #expect(result.signatures == [key.publicKey.keyID.text])
        let stored = try fixture.destination.trustedSignatures(for: backbone.contentDigest)
        #expect(stored.map(\.keyID) == [key.publicKey.keyID.text])
    }

    @Test func malformedDigestInTheIndexNeverBecomesAPath() throws {
        let fixture = try RemoteFixture()
        try fixture.publishBackboneAndBank()
        let directory = try fixture.mirror()
        let path = directory + "/v1/index"
        var text = try String(contentsOfFile: path, encoding: .utf8)
        let index = try fixture.source.registryIndex()
        let digest = index.packages[0].versions[0].digest.description
        text = text.replacingOccurrences(of: digest, with: "sha256:../../../../etc/passwd")
        try text.write(toFile: path, atomically: true, encoding: .utf8)

        let error = thrownError {
            _ = try Puller(store: fixture.destination, client: fixture.folderClient())
                .pull(Reference(parsing: "beard"))
        } as? RemoteError
        #expect(error?.code == .badResponse)
        #expect(error?.message.contains("index") == true)
    }
}
