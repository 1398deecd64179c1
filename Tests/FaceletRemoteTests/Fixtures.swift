import FaceletPackage
import FaceletRemote
import FaceletStore
import FaceletTestSupport
import Foundation
import Testing

/// The shared package fixtures, under the name the client tests use.
typealias Fixtures = PackageFixtures

extension PackageFixtures {
    /// A thumbnail of `bank` at relu3_1.
    static func thumbnail(_ marker: String) -> ThumbnailInput {
        ThumbnailInput(reference: "face01", level: "relu3_1", png: png(marker),
                       statsJSON: "{\"mean\":0.5}")
    }
}

/// A temporary folder with a source store (the "remote" side), a destination store (the
/// pulling side) and room for mirrors; removed afterwards.
final class RemoteFixture {
    let folder: URL
    let source: Store
    let destination: Store

    init() throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("facelet-remote-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        source = try Store.create(at: folder.appendingPathComponent("source"))
        destination = try Store.create(at: folder.appendingPathComponent("destination"))
    }

    deinit {
        try? FileManager.default.removeItem(at: folder)
    }

    /// A path inside the folder.
    func path(_ name: String) -> String {
        folder.appendingPathComponent(name).path
    }

    /// Publishes backbone `vgg19-tiny:1` and bank `beard:1` (with a thumbnail) to the source
    /// store; returns them.
    @discardableResult
    func publishBackboneAndBank() throws -> (backbone: Package, bank: Package) {
        let backbone = try Fixtures.backbone()
        _ = try source.publish(backbone)
        let bank = try Fixtures.bank(backbone: backbone.contentDigest)
        _ = try source.publish(bank, thumbnails: [Fixtures.thumbnail("beard-1")])
        return (backbone, bank)
    }

    /// Mirrors the source store into `<folder>/mirror`; returns the folder.
    @discardableResult
    func mirror() throws -> String {
        let directory = path("mirror")
        _ = try StaticMirror(store: source).write(to: directory)
        return directory
    }

    /// A client of the mirror folder.
    func folderClient() throws -> RegistryClient {
        try RegistryClient(location: RemoteLocation(parsing: "file://" + path("mirror")))
    }

    /// The destination store's state: its catalogue and its blob files (compare before and
    /// after a refused pull).
    func destinationSnapshot() throws -> String {
        let list = try destination.list().map { "\($0.name) \($0.versions) \($0.tags)" }
        let blobs = FileManager.default
            .enumerator(atPath: destination.directory.appendingPathComponent("blobs").path)?
            .compactMap { $0 as? String }.sorted() ?? []
        return list.joined(separator: ";") + "|" + blobs.joined(separator: ",")
    }

    /// The files in the destination's partial/ folder.
    func partialFiles() -> [String] {
        let directory = destination.directory.appendingPathComponent("partial").path
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }
}

/// The error `body` throws, if any.
func thrownError(_ body: () throws -> Void) -> (any Error)? {
    do {
        try body()
        return nil
    } catch {
        return error
    }
}

/// The stable code of the error `body` throws (`remote.*`, `store.*`), if any.
func errorCode(_ body: () throws -> Void) -> String? {
    switch thrownError(body) {
    case let error as RemoteError: error.code.rawValue
    case let error as StoreError: error.code.rawValue
    case .some(let error): "other: \(error)"
    case .none: nil
    }
}
