import FaceletPackage
import FaceletStore
import Foundation
import Testing
@testable import FaceletRemote

/// Pulls over HTTP from the Python fake registry serving a mirror folder.
@Suite struct HTTPPullTests {
    /// A fixture with backbone + bank mirrored and served with `faults`.
    static func served(_ faults: [String] = [])
        throws -> (RemoteFixture, FakeRegistry, Package, Package) {
        let fixture = try RemoteFixture()
        let (backbone, bank) = try fixture.publishBackboneAndBank()
        let server = try FakeRegistry(root: try fixture.mirror(), faults: faults)
        return (fixture, server, backbone, bank)
    }

    static func client(_ server: FakeRegistry, token: String? = nil) throws -> RegistryClient {
        try RegistryClient(location: RemoteLocation(parsing: server.url), token: token)
    }

    @Test func pullOverHTTPStoresTheBankAndItsBackbone() throws {
        let (fixture, server, backbone, bank) = try Self.served()
        var events: [String] = []
        let result = try Puller(store: fixture.destination, client: Self.client(server)) {
            if case .publishing(let reference) = $0 { events.append(reference) }
        }.pull(Reference(parsing: "beard:1"))

        #expect(result.digest == bank.contentDigest)
        #expect(result.backbone?.result.reference == "vgg19-tiny:1")
        #expect(events == ["vgg19-tiny:1", "beard:1"])
        let pulled = try fixture.destination.loadPackage(Reference(parsing: "beard:1"))
        #expect(pulled.tensors == bank.tensors)
        // One GET per distinct blob: the backbone's, the bank's and the thumbnail.
        let distinct = Set(backbone.tensors.map(\.sha256) + bank.tensors.map(\.sha256)).count + 1
        #expect(server.blobRequests().count == distinct)
        #expect(fixture.partialFiles() == [])
    }

    @Test func blobsTheStoreHoldsAreNotDownloadedAgain() throws {
        let (fixture, server, backbone, _) = try Self.served()
        _ = try Puller(store: fixture.destination, client: Self.client(server))
            .pull(Reference(parsing: "beard:1"))
        let bank2 = try Fixtures.bank(version: "2", backbone: backbone.contentDigest,
                                      changed: ["relu3_1.1.weight", "relu4_1.0.bias"])
        _ = try fixture.source.publish(bank2)
        try fixture.mirror()
        let before = server.blobRequests().count

        let result = try Puller(store: fixture.destination, client: Self.client(server))
            .pull(Reference(parsing: "beard"))
        #expect(result.reference == "beard:2")
        #expect(result.downloadedBlobs == 2)
        #expect(result.reusedBlobs == bank2.tensors.count - 2)
        let fetched = Array(server.blobRequests().dropFirst(before))
        let changed = bank2.tensors.filter {
            $0.name == "relu3_1.1.weight" || $0.name == "relu4_1.0.bias"
        }.map { "/v1/blobs/sha256/" + $0.sha256.hex }
        #expect(fetched.sorted() == changed.sorted())
    }

    @Test(arguments: [
        ("corrupt-blobs", "remote.blob_mismatch"),
        ("truncate-blobs", "remote.blob_mismatch"),
        ("html-200", "remote.bad_response"),
        ("html-500", "remote.bad_response"),
    ])
    func faultyBlobsAreRefusedAndTheStoreIsUnchanged(fault: String, code: String) throws {
        let (fixture, server, _, _) = try Self.served([fault])
        let before = try fixture.destinationSnapshot()

        let error = thrownError {
            _ = try Puller(store: fixture.destination, client: Self.client(server))
                .pull(Reference(parsing: "vgg19-tiny"))
        } as? RemoteError
        #expect(error?.code.rawValue == code)
        #expect(error?.message.isEmpty == false)
        #expect(try fixture.destinationSnapshot() == before)
        // Nothing refused is kept: no .part holds an error page or altered bytes.
        #expect(fixture.partialFiles().filter { $0.hasSuffix(".part") } == [])
    }

    @Test func htmlErrorPageMessageSaysWhatCame() throws {
        let (fixture, server, _, _) = try Self.served(["html-200"])
        let error = thrownError {
            _ = try Puller(store: fixture.destination, client: Self.client(server))
                .pull(Reference(parsing: "vgg19-tiny"))
        } as? RemoteError
        #expect(error?.message.contains("text/html") == true)
        #expect(error?.status == 200)
    }

    /// The sizes of the `.part` files in the destination's partial/ folder, by file name.
    static func partSizes(_ fixture: RemoteFixture) -> [String: Int64] {
        var sizes: [String: Int64] = [:]
        for name in fixture.partialFiles() where name.hasSuffix(".part") {
            sizes[name] = PartialDownload.fileSize(
                fixture.destination.directory.appendingPathComponent("partial/" + name).path)
        }
        return sizes
    }

    /// Pulls the backbone from a server that cuts every blob over 100 bytes after 100, so
    /// the pull stops at the first such blob; returns the mirror folder.
    static func cutPull(_ fixture: RemoteFixture) throws -> (String, RemoteError?) {
        _ = try fixture.source.publish(try Fixtures.backbone())
        let directory = try fixture.mirror()
        let dropping = try FakeRegistry(root: directory, faults: ["drop-after=100"])
        let error = thrownError {
            _ = try Puller(store: fixture.destination, client: HTTPPullTests.client(dropping))
                .pull(Reference(parsing: "vgg19-tiny"))
        } as? RemoteError
        return (directory, error)
    }

    @Test func brokenConnectionKeepsThePartAndTheNextPullResumes() throws {
        let fixture = try RemoteFixture()
        let (directory, first) = try Self.cutPull(fixture)
        #expect(first?.code == .connection)
        #expect(first?.message.contains("resume") == true)
        #expect(try fixture.destination.list().isEmpty)
        // Blobs of up to 100 bytes came whole (verified, kept); the first longer one was cut.
        let sizes = Self.partSizes(fixture)
        #expect(sizes.values.filter { $0 == 100 }.count == 1)
        let whole = sizes.values.filter { $0 != 100 }.reduce(0, +)

        let healthy = try FakeRegistry(root: directory)
        let result = try Puller(store: fixture.destination, client: HTTPPullTests.client(healthy))
            .pull(Reference(parsing: "vgg19-tiny"))
        let backbone = try Fixtures.backbone()
        #expect(result.digest == backbone.contentDigest)
        #expect(result.resumedBytes == 100 + whole)
        let ranges = healthy.requests().compactMap { $0["range"] as? String }
        #expect(ranges == ["bytes=100-"])
        #expect(try fixture.destination.loadPackage(digest: backbone.contentDigest).tensors
                    == backbone.tensors)
        #expect(fixture.partialFiles() == [])
    }

    @Test(arguments: [("ignore-range", "206"), ("wrong-range", "Content-Range")])
    func resumeRefusesAnswersThatAreNotTheAskedRange(fault: String, phrase: String) throws {
        let fixture = try RemoteFixture()
        let (directory, _) = try Self.cutPull(fixture)
        let before = try fixture.destinationSnapshot()
        let sizesBefore = Self.partSizes(fixture)

        let faulty = try FakeRegistry(root: directory, faults: [fault])
        let error = thrownError {
            _ = try Puller(store: fixture.destination, client: HTTPPullTests.client(faulty))
                .pull(Reference(parsing: "vgg19-tiny"))
        } as? RemoteError
        #expect(error?.code == .badRange)
        #expect(error?.message.contains(phrase) == true)
        #expect(try fixture.destinationSnapshot() == before)
        // Nothing was appended: the cut .part still holds its 100 good bytes.
        #expect(Self.partSizes(fixture) == sizesBefore)
        #expect(sizesBefore.values.contains(100))

        // --no-resume starts over and succeeds even against a server that ignores Range.
        let result = try Puller(store: fixture.destination, client: HTTPPullTests.client(faulty),
                                options: PullOptions(resume: false))
            .pull(Reference(parsing: "vgg19-tiny"))
        #expect(result.digest == (try Fixtures.backbone()).contentDigest)
    }

    @Test func wrongTokenIsRefusedAndNeverShown() throws {
        let (fixture, server, _, _) = try Self.served(["token=right-secret-123"])
        let secret = "wrong-secret-987"
        let error = thrownError {
            _ = try Puller(store: fixture.destination, client: Self.client(server, token: secret))
                .pull(Reference(parsing: "beard"))
        } as? RemoteError
        #expect(error?.code == .unauthorized)
        #expect(error?.status == 401)
        #expect(error?.message.contains("FACELET_TOKEN") == true)
        #expect(!"\(String(describing: error))".contains(secret))

        let result = try Puller(store: fixture.destination,
                                client: Self.client(server, token: "right-secret-123"))
            .pull(Reference(parsing: "beard"))
        #expect(result.reference == "beard:1")
    }

    @Test func missingRegistryIsNotFound() throws {
        let fixture = try RemoteFixture()
        let empty = fixture.path("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let server = try FakeRegistry(root: empty)
        let error = thrownError { _ = try Self.client(server).index() } as? RemoteError
        #expect(error?.code == .notFound)
        #expect(error?.url == server.url + "/v1/index")
    }

    @Test func refusedConnectionIsAConnectionError() throws {
        // Port 9 (discard) on loopback: nothing listens there in the test environment.
        let client = try RegistryClient(location: RemoteLocation(parsing: "http://127.0.0.1:9"))
        let error = thrownError { _ = try client.index() } as? RemoteError
        #expect(error?.code == .connection)
    }
}
