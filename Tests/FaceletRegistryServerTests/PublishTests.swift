import FaceletPackage
import FaceletRegistryServer
import FaceletStore
import Foundation
import Testing

@Suite("registry publish")
struct PublishTests {
    @Test("without a token configured publishing is 403")
    func noTokenConfigured() async throws {
        let served = try ServedRegistry(token: nil)
        let bank = try Packages.bank(version: "2", backbone: served.backbone.package.contentDigest)
        let reply = try await served.publish(bank.file, token: "anything")
        #expect(reply.status == 403)
        #expect(reply.errorCode == "remote.publishing_disabled")
        #expect(throws: StoreError.self) { try served.store.resolve(Reference(parsing: "smile:2")) }
    }

    @Test("a missing or wrong token is 401 with WWW-Authenticate", arguments: [
        nil, "wrong-token", "s3cret-token-but-longer", "s3cret-toke",
    ] as [String?])
    func badToken(_ token: String?) async throws {
        let served = try ServedRegistry()
        let bank = try Packages.bank(version: "2", backbone: served.backbone.package.contentDigest)
        let before = try served.store.changeCounter()
        let reply = try await served.publish(bank.file, token: token)
        #expect(reply.status == 401)
        #expect(reply.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
        #expect(reply.errorCode == "remote.unauthorized")
        #expect(try served.store.changeCounter() == before)
    }

    @Test("a new version is 201, the same content again 200 already_present")
    func publishTwice() async throws {
        let served = try ServedRegistry()
        let bank = try Packages.bank(version: "2", backbone: served.backbone.package.contentDigest,
                                     seed: 7)
        let first = try await served.publish(bank.file)
        #expect(first.status == 201)
        let document = try JSONDecoder().decode(PublishDocument.self, from: first.body)
        #expect(document == PublishDocument(reference: "smile:2",
                                            digest: bank.package.contentDigest.description,
                                            alreadyPresent: false))
        #expect(try served.store.resolve(Reference(parsing: "smile:2")).digest
                    == bank.package.contentDigest)

        let second = try await served.publish(bank.file)
        #expect(second.status == 200)
        #expect(second.json?["already_present"] as? Bool == true)
        #expect(served.uploadFiles().isEmpty)
    }

    @Test("a signature header is verified and stored with the version")
    func signedPublish() async throws {
        let served = try ServedRegistry()
        let bank = try Packages.bank(version: "3", backbone: served.backbone.package.contentDigest,
                                     seed: 8)
        let key = try SigningKey.generate()
        let record = try key.sign(contentDigest: bank.package.contentDigest)
        let reply = try await served.publish(bank.file, signatures: [record.headerValue])
        #expect(reply.status == 201)
        #expect(try served.store.signatures(for: bank.package.contentDigest).map(\.record)
                    == [record])

        let other = try Packages.bank(version: "4", backbone: served.backbone.package.contentDigest,
                                      seed: 9)
        let wrong = try await served.publish(other.file, signatures: [record.headerValue])
        #expect(wrong.status == 422)
        #expect(wrong.errorCode == "store.invalid_signature")
        let garbled = try await served.publish(other.file, signatures: ["ed25519 x y z w"])
        #expect(garbled.status == 422)
        #expect(garbled.errorCode?.hasPrefix("signature.") == true)
        #expect(throws: StoreError.self) { try served.store.resolve(Reference(parsing: "smile:4")) }
    }

    @Test("a corrupt package is 422 with the reader's message and the store unchanged")
    func corruptPackage() async throws {
        let served = try ServedRegistry()
        var file = try Packages.bank(version: "2",
                                     backbone: served.backbone.package.contentDigest).file
        file.removeLast(10)
        let before = (try served.store.changeCounter(), try served.store.registryIndex())
        let reply = try await served.publish(file)
        #expect(reply.status == 422)
        #expect(reply.errorCode?.hasPrefix("package.") == true)
        let message = (reply.json?["error"] as? [String: Any])?["message"] as? String ?? ""
        #expect(message.hasPrefix("the package is refused: "))
        #expect(!message.contains(served.uploads.path))
        #expect(try served.store.changeCounter() == before.0)
        #expect(try served.store.registryIndex() == before.1)
        #expect(served.uploadFiles().isEmpty)
    }

    @Test("a bank whose backbone the store lacks is 424")
    func backboneMissing() async throws {
        let served = try ServedRegistry()
        let otherBackbone = try Packages.backbone(name: "vgg19-other", seed: 5)
        let bank = try Packages.bank(name: "frown", backbone: otherBackbone.package.contentDigest)
        let reply = try await served.publish(bank.file)
        #expect(reply.status == 424)
        #expect(reply.errorCode == "store.backbone_missing")

        #expect(try await served.publish(otherBackbone.file).status == 201)
        #expect(try await served.publish(bank.file).status == 201)
    }

    @Test("two clients publishing the same version with different content: one 201, one 409")
    func concurrentConflict() async throws {
        let served = try ServedRegistry()
        let backbone = served.backbone.package.contentDigest
        let a = try Packages.bank(version: "5", backbone: backbone, seed: 20)
        let b = try Packages.bank(version: "5", backbone: backbone, seed: 21)
        async let first = served.publish(a.file)
        async let second = served.publish(b.file)
        let replies = try await [first, second]
        #expect(replies.map(\.status).sorted() == [201, 409])
        let loser = try #require(replies.first { $0.status == 409 })
        #expect(loser.errorCode == "store.version_conflict")
        let winner = replies[0].status == 201 ? a : b
        #expect(try served.store.resolve(Reference(parsing: "smile:5")).digest
                    == winner.package.contentDigest)
    }

    @Test("two clients publishing two versions at once both land")
    func concurrentVersions() async throws {
        let served = try ServedRegistry()
        let backbone = served.backbone.package.contentDigest
        let a = try Packages.bank(version: "6", backbone: backbone, seed: 30)
        let b = try Packages.bank(version: "7", backbone: backbone, seed: 31)
        async let first = served.publish(a.file)
        async let second = served.publish(b.file)
        let replies = try await [first, second]
        #expect(replies.map(\.status) == [201, 201])
        #expect(try served.store.list().first { $0.name == "smile" }?.versions == ["1", "6", "7"])
    }
}
