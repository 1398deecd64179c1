import FaceletPackage
import FaceletStore
import Foundation
import Testing
@testable import FaceletRemote

/// `publish --to` against the fake registry.
@Suite struct UploadTests {
    @Test func uploadStreamsTheFileWithSignatureHeaders() throws {
        let fixture = try RemoteFixture()
        let directory = fixture.path("empty")
        try FileManager.default.createDirectory(atPath: directory,
                                                withIntermediateDirectories: true)
        let server = try FakeRegistry(root: directory, faults: ["token=t0k"])
        let backbone = try Fixtures.backbone()
        let file = fixture.path("backbone.fbb")
        let (data, _) = try PackageWriter.encode(backbone.manifest, tensors: backbone.tensors)
        try data.write(to: URL(fileURLWithPath: file))
        let key = try SigningKey.generate()
        let signature = try key.sign(contentDigest: backbone.contentDigest)

        let client = try RegistryClient(location: RemoteLocation(parsing: server.url),
                                        token: "t0k")
        let answer = try client.publish(file: file, signatures: [signature])
        #expect(answer.digest == Digest.sha256(data))
        #expect(answer.alreadyPresent == false)
        let upload = server.requests().first { ($0["method"] as? String) == "POST" }
        #expect(upload?["received"] as? Int == data.count)
        #expect(upload?["content_length"] as? String == String(data.count))
        #expect(upload?["signatures"] as? [String] == [signature.headerValue])
    }

    @Test(arguments: [
        (409, "remote.conflict"), (413, "remote.too_large"), (422, "remote.invalid_package"),
        (424, "remote.backbone_missing"), (403, "remote.forbidden"),
    ])
    func serverRefusalsMapToClearErrors(status: Int, code: String) throws {
        let fixture = try RemoteFixture()
        let directory = fixture.path("empty")
        try FileManager.default.createDirectory(atPath: directory,
                                                withIntermediateDirectories: true)
        let server = try FakeRegistry(root: directory, faults: ["publish=\(status)"])
        let file = fixture.path("x.fbb")
        try Data(repeating: 7, count: 1000).write(to: URL(fileURLWithPath: file))
        let client = try RegistryClient(location: RemoteLocation(parsing: server.url))
        let error = thrownError { _ = try client.publish(file: file, signatures: []) }
            as? RemoteError
        #expect(error?.code.rawValue == code)
        #expect(error?.status == status)
        #expect(error?.message.contains("refused by the fake registry") == true)
        #expect(error?.message.contains("\n") == false)
    }

    @Test func missingTokenSaysWhichVariableToSet() throws {
        let fixture = try RemoteFixture()
        let directory = fixture.path("empty")
        try FileManager.default.createDirectory(atPath: directory,
                                                withIntermediateDirectories: true)
        let server = try FakeRegistry(root: directory, faults: ["token=s3cret"])
        let file = fixture.path("x.fbb")
        try Data(repeating: 7, count: 10).write(to: URL(fileURLWithPath: file))
        let client = try RegistryClient(location: RemoteLocation(parsing: server.url),
                                        tokenVariable: "TEAM_TOKEN")
        let error = thrownError { _ = try client.publish(file: file, signatures: []) }
            as? RemoteError
        #expect(error?.code == .unauthorized)
        #expect(error?.message.contains("$TEAM_TOKEN") == true)
    }

    @Test func mirrorFolderTakesNoUploads() throws {
        let client = try RegistryClient(location: RemoteLocation(parsing: "file:///tmp"))
        let error = thrownError { _ = try client.publish(file: "/dev/null", signatures: []) }
        #expect((error as? RemoteError)?.code == .badRemote)
    }
}
