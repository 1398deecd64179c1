import FaceletPackage
import FaceletRemote
import FaceletStore
import Foundation
import Testing

/// Small deterministic packages (the same shapes as the store tests' fixtures) and temporary
/// stores for the client tests.
enum Fixtures {
    /// A tiny VGG-19 (channels 1/2/4/8): relu3_1 has 4 channels, relu4_1 has 8.
    static let architecture = Architecture.vgg19(width: 1.0 / 64)

    /// Distinct, exactly representable values for each seed.
    static func values(count: Int, seed: Int) -> [Float] {
        (0..<count).map { Float(seed * 4096 + $0) / 1024 }
    }

    /// A backbone with every tensor the architecture expects.
    static func backbone(name: String = "vgg19-tiny", version: String = "1",
                         seed: Int = 0) throws -> Package {
        let manifest = Manifest(kind: .backbone, name: name, version: version,
                                description: "A 1/64-width VGG-19 for tests.",
                                architecture: architecture, provenance: ["method": "random"])
        let tensors = architecture.expectedTensors().sorted { $0.key < $1.key }.enumerated()
            .map { offset, entry in
                PackageTensor.float32(name: entry.key, shape: entry.value,
                                      values: values(count: entry.value.reduce(1, *),
                                                     seed: 10_000 + seed * 1000 + offset))
            }
        return try PackageWriter.encode(manifest, tensors: tensors).package
    }

    /// A bank on relu3_1 and relu4_1. Tensors named in `changed` get other values, so two
    /// banks differ in exactly those tensors.
    static func bank(name: String = "beard", version: String = "1", backbone: Digest,
                     changed: Set<String> = [], variant: Int = 1) throws -> Package {
        let manifest = Manifest(kind: .bank, name: name, version: version,
                                description: "Adds a beard.", backbone: backbone,
                                levels: ["relu3_1", "relu4_1"],
                                bank: BankDescription(padding: [.reflect, .zero, .reflect]),
                                provenance: ["method": "facelet"])
        let channels = ["relu3_1": 4, "relu4_1": 8]
        var tensors: [PackageTensor] = []
        var seed = 0
        for level in ["relu3_1", "relu4_1"] {
            let c = channels[level] ?? 0
            for index in 0..<3 {
                for suffix in ["weight", "bias"] {
                    let tensorName = "\(level).\(index).\(suffix)"
                    seed += 1
                    let shape = suffix == "weight" ? [c, c, 3, 3] : [c]
                    let tensorSeed = changed.contains(tensorName) ? seed + 100 * variant : seed
                    tensors.append(.float32(name: tensorName, shape: shape,
                                            values: values(count: shape.reduce(1, *),
                                                           seed: tensorSeed)))
                }
            }
        }
        return try PackageWriter.encode(manifest, tensors: tensors).package
    }

    /// Bytes that pass the store's PNG check (the signature plus a body).
    static func png(_ marker: String) -> Data {
        Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + Data(marker.utf8)
    }

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
