import FaceletPackage
import FaceletRegistryServer
import FaceletStore
import Foundation
import Testing
@testable import FaceletRemote

/// The client against the real registry server (`FaceletRegistryServer`) on loopback.
@Suite struct RegistryServerTests {
    /// Serves the fixture's source store; returns the server (stop it with `stop()`) and its
    /// base URL.
    static func serve(_ fixture: RemoteFixture, token: String? = nil)
        throws -> (RegistryServer, String) {
        let server = try RegistryServer(store: fixture.source,
                                        configuration: .init(token: token))
        let port = try server.start()
        return (server, "http://127.0.0.1:\(port)")
    }

    @Test func pullFromTheServerMatchesTheSource() throws {
        let fixture = try RemoteFixture()
        let (backbone, bank) = try fixture.publishBackboneAndBank()
        let (server, url) = try Self.serve(fixture)
        defer { server.stop() }

        let client = try RegistryClient(location: RemoteLocation(parsing: url))
        let result = try Puller(store: fixture.destination, client: client)
            .pull(Reference(parsing: "beard"))
        #expect(result.digest == bank.contentDigest)
        #expect(result.backbone?.result.digest == backbone.contentDigest)
        // The same catalogue (creation times differ: they are when each store got it).
        func catalogue(_ store: Store) throws -> [String] {
            try store.registryIndex().packages.flatMap { entry in
                entry.versions.map { "\(entry.name) \($0.version) \($0.digest) \(entry.tags)" }
            }
        }
        #expect(try catalogue(fixture.destination) == (try catalogue(fixture.source)))
        #expect(try fixture.destination.loadPackage(Reference(parsing: "beard")).tensors
                    == bank.tensors)
        #expect(OutdatedTag.compare(local: try fixture.destination.registryIndex(),
                                    remote: try client.index()) == [])
    }

    @Test func resumeAgainstTheServerUsesItsRanges() throws {
        let fixture = try RemoteFixture()
        let backbone = try Fixtures.backbone()
        _ = try fixture.source.publish(backbone)
        let (server, url) = try Self.serve(fixture)
        defer { server.stop() }
        // Leave what a killed pull leaves: the first 100 bytes of the largest blob and its
        // record.
        let largest = backbone.tensors.max { $0.bytes.count < $1.bytes.count }
        let tensor = try #require(largest)
        let partial = try fixture.destination.partialDirectory()
        try tensor.bytes.prefix(100).write(
            to: URL(fileURLWithPath: "\(partial)/\(tensor.sha256.hex).part"))
        let record = PartialDownload.Record(digest: tensor.sha256,
                                            size: Int64(tensor.bytes.count), url: url)
        try JSONEncoder().encode(record).write(
            to: URL(fileURLWithPath: "\(partial)/\(tensor.sha256.hex).json"))

        let result = try Puller(store: fixture.destination,
                                client: RegistryClient(location: RemoteLocation(parsing: url)))
            .pull(Reference(parsing: "vgg19-tiny"))
        #expect(result.resumedBytes == 100)
        #expect(try fixture.destination.loadPackage(digest: backbone.contentDigest).tensors
                    == backbone.tensors)
        #expect(fixture.partialFiles() == [])
    }

    @Test func publishToTheServerWithTokenAndSignature() throws {
        let fixture = try RemoteFixture()
        let (server, url) = try Self.serve(fixture, token: "server-token-1")
        defer { server.stop() }
        let backbone = try Fixtures.backbone()
        let file = fixture.path("backbone.fbb")
        let (data, _) = try PackageWriter.encode(backbone.manifest, tensors: backbone.tensors)
        try data.write(to: URL(fileURLWithPath: file))
        let key = try SigningKey.generate()
        let signature = try key.sign(contentDigest: backbone.contentDigest)

        let wrong = try RegistryClient(location: RemoteLocation(parsing: url),
                                       token: "not-the-token")
        let refused = thrownError { _ = try wrong.publish(file: file, signatures: []) }
        #expect((refused as? RemoteError)?.code == .unauthorized)
        #expect(!"\(String(describing: refused))".contains("not-the-token"))
        #expect(try fixture.source.list().isEmpty)

        let client = try RegistryClient(location: RemoteLocation(parsing: url),
                                        token: "server-token-1")
        let answer = try client.publish(file: file, signatures: [signature])
        #expect(answer.digest == backbone.contentDigest)
        #expect(answer.alreadyPresent == false)
        #expect(try client.publish(file: file, signatures: []).alreadyPresent)
        #expect(try fixture.source.signatures(for: backbone.contentDigest).map(\.record)
                    == [signature])

        // A bank whose backbone the server lacks: 424, mapped.
        let orphan = try Fixtures.bank(backbone: Digest(parsing: String(repeating: "a",
                                                                          count: 64)))
        let bankFile = fixture.path("orphan.fbk")
        try PackageWriter.encode(orphan.manifest, tensors: orphan.tensors).data
            .write(to: URL(fileURLWithPath: bankFile))
        let missing = thrownError { _ = try client.publish(file: bankFile, signatures: []) }
        #expect((missing as? RemoteError)?.code == .backboneMissing)
    }
}
