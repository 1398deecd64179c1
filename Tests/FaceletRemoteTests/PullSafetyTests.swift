import FaceletPackage
import FaceletRegistryServer
import FaceletStore
import Foundation
import Testing
@testable import FaceletRemote

/// Pulls that must not hurt the local store: parallel pulls, refused pulls, damaged `.part`
/// files (docs/remote.md, "Pulling").
@Suite struct PullSafetyTests {
    /// Errors of the parallel pulls, collected from their threads.
    final class Outcomes: @unchecked Sendable {
        // @unchecked Sendable: `values` is only touched with `lock` held.
        private let lock = NSLock()
        private var values: [String] = []

        func add(_ value: String) {
            lock.lock()
            values.append(value)
            lock.unlock()
        }

        var sorted: [String] {
            lock.lock()
            defer { lock.unlock() }
            return values.sorted()
        }
    }

    @Test func parallelPullsIntoOneStoreTakeTurns() throws {
        let fixture = try RemoteFixture()
        let (backbone, bank) = try fixture.publishBackboneAndBank()
        let (server, url) = try RegistryServerTests.serve(fixture)
        defer { server.stop() }

        // Three pulls, each with its own store connection, as three processes would.
        let outcomes = Outcomes()
        let directory = fixture.destination.directory
        let group = DispatchGroup()
        for _ in 0..<3 {
            DispatchQueue.global().async(group: group) {
                do {
                    let store = try Store.open(at: directory)
                    let client = try RegistryClient(location: RemoteLocation(parsing: url))
                    let result = try Puller(store: store, client: client)
                        .pull(Reference(parsing: "beard:1"))
                    outcomes.add("present=\(result.alreadyPresent) \(result.digest)")
                } catch {
                    outcomes.add("error \(error)")
                }
            }
        }
        group.wait()

        // One pull downloaded and published; the two that waited found the version there.
        #expect(outcomes.sorted == [
            "present=false \(bank.contentDigest)", "present=true \(bank.contentDigest)",
            "present=true \(bank.contentDigest)",
        ])
        #expect(try fixture.destination.verify().isClean)
        #expect(try fixture.destination.loadPackage(digest: backbone.contentDigest).tensors
                    == backbone.tensors)
        #expect(try fixture.destination.loadPackage(digest: bank.contentDigest).tensors
                    == bank.tensors)
        #expect(fixture.partialFiles() == [])
    }

    @Test func pullWaitsForAnotherPullThenSaysBusy() throws {
        let fixture = try RemoteFixture()
        try fixture.publishBackboneAndBank()
        try fixture.mirror()
        do {
            let other = try Store.open(at: fixture.destination.directory)
            let held = try other.lockForPull(timeout: 1)
            defer { withExtendedLifetime(held) {} }
            let error = thrownError {
                _ = try Puller(store: fixture.destination, client: fixture.folderClient(),
                               options: PullOptions(lockTimeout: 0.05))
                    .pull(Reference(parsing: "beard"))
            } as? StoreError
            #expect(error?.code == .busy)
            #expect(error?.message.contains("another pull") == true)
            #expect(try fixture.destination.list().isEmpty)
        }

        // Once the other pull is over, the pull goes ahead.
        let result = try Puller(store: fixture.destination, client: fixture.folderClient(),
                                options: PullOptions(lockTimeout: 0.05))
            .pull(Reference(parsing: "beard"))
        #expect(result.reference == "beard:1")
    }

    @Test func partLongerThanItsBlobIsDownloadedAgain() throws {
        let fixture = try RemoteFixture()
        let backbone = try Fixtures.backbone()
        _ = try fixture.source.publish(backbone)
        let (server, url) = try RegistryServerTests.serve(fixture)
        defer { server.stop() }
        // What two pulls appending to one .part used to leave: the blob twice over.
        let tensor = try #require(backbone.tensors.max { $0.bytes.count < $1.bytes.count })
        let partial = try fixture.destination.partialDirectory()
        try (tensor.bytes + tensor.bytes).write(
            to: URL(fileURLWithPath: "\(partial)/\(tensor.sha256.hex).part"))
        let record = PartialDownload.Record(digest: tensor.sha256,
                                            size: Int64(tensor.bytes.count), url: url)
        try JSONEncoder().encode(record).write(
            to: URL(fileURLWithPath: "\(partial)/\(tensor.sha256.hex).json"))

        let result = try Puller(store: fixture.destination,
                                client: RegistryClient(location: RemoteLocation(parsing: url)))
            .pull(Reference(parsing: "vgg19-tiny"))
        #expect(result.resumedBytes == 0)
        #expect(try fixture.destination.loadPackage(digest: backbone.contentDigest).tensors
                    == backbone.tensors)
        #expect(try fixture.destination.verify().isClean)
        #expect(fixture.partialFiles() == [])
    }

    // MARK: - Refused before any download

    /// The local store's conflicting content, by case: a backbone named like the remote bank,
    /// another beard:1, a bank named like the remote bank's backbone.
    enum Conflict: String, CaseIterable {
        case bankNameIsALocalBackbone
        case bankVersionHasOtherContent
        case backboneNameIsALocalBank

        var code: StoreError.Code {
            self == .bankVersionHasOtherContent ? .versionConflict : .kindConflict
        }

        func prepare(_ store: Store) throws {
            let local = try Fixtures.backbone(name: "local-backbone", seed: 7)
            _ = try store.publish(local)
            switch self {
            case .bankNameIsALocalBackbone:
                _ = try store.publish(try Fixtures.backbone(name: "beard", seed: 8))
            case .bankVersionHasOtherContent:
                _ = try store.publish(try Fixtures.bank(backbone: local.contentDigest))
            case .backboneNameIsALocalBank:
                _ = try store.publish(try Fixtures.bank(name: "vgg19-tiny",
                                                        backbone: local.contentDigest))
            }
        }
    }

    @Test(arguments: Conflict.allCases)
    func conflictIsRefusedBeforeAnythingIsDownloadedOrPublished(conflict: Conflict) throws {
        let fixture = try RemoteFixture()
        try fixture.publishBackboneAndBank()
        let (server, url) = try RegistryServerTests.serve(fixture)
        defer { server.stop() }
        try conflict.prepare(fixture.destination)
        let before = try fixture.destinationSnapshot()

        let error = thrownError {
            _ = try Puller(store: fixture.destination,
                           client: RegistryClient(location: RemoteLocation(parsing: url)))
                .pull(Reference(parsing: "beard:1"))
        } as? StoreError
        #expect(error?.code == conflict.code)
        // The remote's backbone was not published, and no blob was downloaded.
        #expect(try fixture.destinationSnapshot() == before)
        #expect(fixture.partialFiles() == [])
    }

    // MARK: - Damaged .part files

    /// Leaves a `.part` of the largest backbone blob (or, `first`, of the one a pull fetches
    /// first) holding `bytes` (with its record when `recorded`); returns the blob's tensor.
    static func leavePart(_ fixture: RemoteFixture, backbone: Package, recorded: Bool,
                          first: Bool = false, bytes: (Data) -> Data) throws -> PackageTensor {
        let tensor = try #require(first
            ? backbone.tensors.min { $0.sha256 < $1.sha256 }
            : backbone.tensors.max { $0.bytes.count < $1.bytes.count })
        let partial = try fixture.destination.partialDirectory()
        try bytes(tensor.bytes).write(
            to: URL(fileURLWithPath: "\(partial)/\(tensor.sha256.hex).part"))
        if recorded {
            let record = PartialDownload.Record(digest: tensor.sha256,
                                                size: Int64(tensor.bytes.count), url: "x")
            try JSONEncoder().encode(record).write(
                to: URL(fileURLWithPath: "\(partial)/\(tensor.sha256.hex).json"))
        }
        return tensor
    }

    /// The first `count` bytes of `data`, each inverted.
    static func flippedPrefix(_ data: Data, _ count: Int) -> Data {
        Data(data.prefix(count).map { ~$0 })
    }

    @Test func damagedPrefixIsDeletedAndTheBlobFetchedAgain() throws {
        let fixture = try RemoteFixture()
        let backbone = try Fixtures.backbone()
        _ = try fixture.source.publish(backbone)
        let server = try FakeRegistry(root: try fixture.mirror())
        let tensor = try Self.leavePart(fixture, backbone: backbone, recorded: true) {
            Self.flippedPrefix($0, 100)
        }

        let result = try Puller(store: fixture.destination, client: HTTPPullTests.client(server))
            .pull(Reference(parsing: "vgg19-tiny"))
        #expect(result.digest == backbone.contentDigest)
        #expect(result.resumedBytes == 0)
        #expect(result.downloadedBytes
                    == backbone.tensors.reduce(0) { $0 + Int64($1.bytes.count) })
        // The resume asked for the rest, which did not verify; then the whole blob came.
        let path = "/v1/blobs/sha256/" + tensor.sha256.hex
        #expect(server.blobRequests().filter { $0 == path }.count == 2)
        #expect(server.requests().compactMap { $0["range"] as? String } == ["bytes=100-"])
        #expect(try fixture.destination.loadPackage(digest: backbone.contentDigest).tensors
                    == backbone.tensors)
        #expect(try fixture.destination.verify().isClean)
        #expect(fixture.partialFiles() == [])
    }

    @Test func damagedCompletePartIsFetchedAgain() throws {
        let fixture = try RemoteFixture()
        let backbone = try Fixtures.backbone()
        _ = try fixture.source.publish(backbone)
        let server = try FakeRegistry(root: try fixture.mirror())
        // A verified .part (its record dropped) whose bytes changed on disk afterwards.
        let tensor = try Self.leavePart(fixture, backbone: backbone, recorded: false) {
            Self.flippedPrefix($0, 4) + $0.dropFirst(4)
        }

        _ = try Puller(store: fixture.destination, client: HTTPPullTests.client(server))
            .pull(Reference(parsing: "vgg19-tiny"))
        let path = "/v1/blobs/sha256/" + tensor.sha256.hex
        #expect(server.blobRequests().filter { $0 == path }.count == 1)
        #expect(try fixture.destination.loadPackage(digest: backbone.contentDigest).tensors
                    == backbone.tensors)
        #expect(fixture.partialFiles() == [])
    }

    @Test func freshDownloadThatMismatchesIsStillTheRemotesFault() throws {
        let fixture = try RemoteFixture()
        let backbone = try Fixtures.backbone()
        _ = try fixture.source.publish(backbone)
        let server = try FakeRegistry(root: try fixture.mirror(), faults: ["corrupt-blobs"])
        let tensor = try Self.leavePart(fixture, backbone: backbone, recorded: true,
                                        first: true) {
            Self.flippedPrefix($0, 100)
        }
        let before = try fixture.destinationSnapshot()

        let error = thrownError {
            _ = try Puller(store: fixture.destination, client: HTTPPullTests.client(server))
                .pull(Reference(parsing: "vgg19-tiny"))
        } as? RemoteError
        #expect(error?.code == .blobMismatch)
        #expect(error?.digest == tensor.sha256.description)
        #expect(try fixture.destinationSnapshot() == before)
        #expect(fixture.partialFiles().filter { $0.hasSuffix(".part") } == [])
    }
}
