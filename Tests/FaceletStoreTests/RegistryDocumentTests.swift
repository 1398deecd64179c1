import FaceletPackage
import Foundation
import Testing
@testable import FaceletStore

@Suite struct RegistryDocumentTests {
    @Test func indexListsPackagesVersionsTagsAndBindings() throws {
        try withTemporaryStore { store, _ in
            let backbone = try Fixtures.backbone()
            _ = try store.publish(backbone)
            for version in ["2", "10", "1"] {
                _ = try store.publish(try Fixtures.bank(
                    version: version, backbone: backbone.contentDigest,
                    changed: ["relu3_1.0.bias"], variant: Int(version) ?? 0))
            }
            try store.tag(try Reference(parsing: "beard:2"), as: "stable")

            let index = try store.registryIndex()
            #expect(index.format == "facelet-index/1")
            #expect(index.changeCounter == (try store.changeCounter()))
            #expect(index.packages.map(\.name) == ["beard", "vgg19-tiny"])
            let beard = try #require(index.packages.first)
            #expect(beard.kind == .bank)
            #expect(beard.versions.map(\.version) == ["1", "2", "10"])
            #expect(beard.tags == ["latest": "10", "stable": "2"])
            for entry in beard.versions {
                let record = try store.resolve(try Reference(parsing: "beard:\(entry.version)"))
                #expect(entry.digest == record.digest)
                #expect(entry.backbone == backbone.contentDigest)
                #expect(entry.byteSize == record.byteSize)
                #expect(entry.document == "v1/versions/sha256/" + record.digest.hex)
                #expect(entry.createdAt.hasSuffix("Z"))
            }
            let vgg = index.packages[1]
            #expect(vgg.versions.map(\.backbone) == [nil])
            #expect(vgg.versions.first?.byteSize
                        == Int64(backbone.tensors.reduce(0) { $0 + $1.bytes.count }))

            // The JSON names the contract gives, and an explicit null backbone.
            let json = String(decoding: RegistryJSON.encode(index), as: UTF8.self)
            #expect(json.contains(#""change_counter":"#))
            #expect(json.contains(#""backbone":null"#))
            #expect(json.contains(#""byte_size":"#))
            #expect(try RegistryJSON.decode(RegistryIndex.self, from: Data(json.utf8)) == index)
        }
    }

    @Test func versionDocumentRecomputesToItsDigest() throws {
        try withTemporaryStore { store, _ in
            let backbone = try Fixtures.backbone()
            _ = try store.publish(backbone)
            let bank = try Fixtures.bank(backbone: backbone.contentDigest)
            let thumbnail = ThumbnailInput(reference: "face01", level: "relu3_1",
                                           png: Fixtures.png("a"), statsJSON: #"{"mean":0.5}"#)
            _ = try store.publish(bank, thumbnails: [thumbnail])

            let document = try store.versionDocument(digest: bank.contentDigest)
            #expect(document.format == "facelet-version/1")
            #expect(document.name == "beard" && document.version == "1")
            #expect(document.backbone == backbone.contentDigest)
            #expect(document.tensors.count == bank.tensors.count)
            for tensor in document.tensors {
                let original = try #require(bank.tensors.first { $0.name == tensor.name })
                #expect(tensor.digest == original.sha256)
                #expect(tensor.byteSize == Int64(original.bytes.count))
                #expect(tensor.shape == original.shape)
                let file = try #require(store.blobFile(tensor.digest))
                #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == original.bytes)
            }
            #expect(document.thumbnails.map(\.digest) == [Digest.sha256(Fixtures.png("a"))])
            #expect(document.signatures.isEmpty)

            // A client can check the document without any blob.
            let manifest = try Manifest.decode(Data(document.manifestJSON.utf8))
            #expect(manifest.canonicalJSON() == Data(document.manifestJSON.utf8))
            let identities = document.tensors.map {
                TensorIdentity(name: $0.name, dtype: $0.dtype, shape: $0.shape, sha256: $0.digest)
            }
            #expect(ContentDigest.compute(manifest: manifest, identities: identities)
                        == bank.contentDigest)
        }
    }

    @Test func unknownDigestIsNotFound() throws {
        try withTemporaryStore { store, _ in
            let missing = Digest.sha256(Data("nothing".utf8))
            #expect(storeErrorCode { _ = try store.versionDocument(digest: missing) } == .notFound)
            #expect(store.blobFile(missing) == nil)
        }
    }
}
