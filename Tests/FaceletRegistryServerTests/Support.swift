import FaceletHTTP
import FaceletPackage
import FaceletRegistryServer
import FaceletStore
import FaceletTestSupport
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Small deterministic packages (a 1/64-width VGG-19 and banks on it).
enum Packages {
    /// `PackageFixtures.backbone` with its file bytes; `(package, file bytes)`.
    static func backbone(name: String = "vgg19-tiny", version: String = "1",
                         seed: Int = 0) throws -> (package: Package, file: Data) {
        let encoded = try PackageFixtures.encodedBackbone(name: name, version: version,
                                                          seed: seed)
        return (encoded.package, encoded.data)
    }

    /// A bank on relu3_1 and relu4_1 of `backbone`; `seed` changes every value.
    static func bank(name: String = "smile", version: String = "1", backbone: Digest,
                     seed: Int = 1) throws -> (package: Package, file: Data) {
        let manifest = Manifest(kind: .bank, name: name, version: version,
                                description: "Adds a smile.", backbone: backbone,
                                levels: ["relu3_1", "relu4_1"],
                                bank: BankDescription(padding: [.reflect, .zero, .reflect]),
                                provenance: ["method": "facelet"])
        var tensors: [PackageTensor] = []
        var index = 0
        for (level, channels) in [("relu3_1", 4), ("relu4_1", 8)] {
            for layer in 0..<3 {
                for part in ["weight", "bias"] {
                    index += 1
                    let shape = part == "weight" ? [channels, channels, 3, 3] : [channels]
                    tensors.append(.float32(name: "\(level).\(layer).\(part)", shape: shape,
                                            values: PackageFixtures.values(
                                                count: shape.reduce(1, *),
                                                seed: seed * 100 + index)))
                }
            }
        }
        let encoded = try PackageWriter.encode(manifest, tensors: tensors)
        return (encoded.package, encoded.data)
    }
}

/// Collects log lines from the server's threads.
final class LogLines: @unchecked Sendable {
    // @unchecked Sendable: `lines` is only touched with `lock` held.
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}

/// A temporary store with a backbone and bank `smile:1`, served on 127.0.0.1 at a free port.
final class ServedRegistry: Sendable {
    let directory: URL
    let store: Store
    let server: RegistryServer
    let port: UInt16
    let backbone: (package: Package, file: Data)
    let bank: (package: Package, file: Data)
    let logs = LogLines()
    let uploads: URL

    init(token: String? = "s3cret-token", readsNeedToken: Bool = false,
         maximumUploadBytes: Int = 512 << 20, maximumConnections: Int = 64,
         connectionTimeoutSeconds: Int = 30, publishFixtures: Bool = true) throws {
        let base = FileManager.default.temporaryDirectory
            .appendingPathComponent("facelet-registry-test-\(UUID().uuidString)")
        directory = base.appendingPathComponent("store")
        uploads = base.appendingPathComponent("uploads")
        store = try Store.create(at: directory)
        backbone = try Packages.backbone()
        bank = try Packages.bank(backbone: backbone.package.contentDigest)
        if publishFixtures {
            _ = try store.publish(backbone.package)
            _ = try store.publish(bank.package)
        }
        let logs = self.logs
        server = try RegistryServer(
            store: store,
            configuration: .init(token: token, readsNeedToken: readsNeedToken,
                                 maximumUploadBytes: maximumUploadBytes,
                                 maximumConnections: maximumConnections,
                                 connectionTimeoutSeconds: connectionTimeoutSeconds,
                                 uploadDirectory: uploads),
            log: { logs.append($0) })
        port = try server.start()
    }

    deinit {
        server.stop()
        try? FileManager.default.removeItem(at: directory.deletingLastPathComponent())
    }

    /// `http://127.0.0.1:PORT` + `path`.
    func url(_ path: String) -> URL {
        URL(string: "http://127.0.0.1:\(port)\(path)")!
    }

    /// One request through URLSession; the status, headers (names lowercased) and body.
    func request(_ path: String, method: String = "GET", body: Data? = nil,
                 headers: [String: String] = [:]) async throws -> Reply {
        var request = URLRequest(url: url(path))
        request.httpMethod = method
        request.httpBody = body
        request.timeoutInterval = 30
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await ServedRegistry.session.data(for: request)
        let http = response as! HTTPURLResponse
        var lowered: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            lowered[String(describing: name).lowercased()] = String(describing: value)
        }
        return Reply(status: http.statusCode, headers: lowered, body: data)
    }

    /// A publish of `file` with the server's token (or `token`).
    func publish(_ file: Data, token: String? = "s3cret-token",
                 signatures: [String] = []) async throws -> Reply {
        var headers: [String: String] = ["Content-Type": "application/octet-stream"]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        if !signatures.isEmpty {
            // URLRequest folds repeated headers into one comma-separated value, which the
            // server would refuse; one signature per request is what this helper sends.
            headers["Facelet-Signature"] = signatures[0]
        }
        return try await request("/v1/publish", method: "POST", body: file, headers: headers)
    }

    /// Files in the upload folder now, with their sizes.
    func uploadFiles() -> [String: Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: uploads.path)) ?? []
        var sizes: [String: Int] = [:]
        for name in names {
            let path = uploads.appendingPathComponent(name).path
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int
            sizes[name] = size ?? 0
        }
        return sizes
    }

    /// A session without caching or cookies.
    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        return URLSession(configuration: configuration)
    }()
}

/// A response as the tests look at it.
struct Reply: Sendable {
    let status: Int
    let headers: [String: String]
    let body: Data

    /// The `error.code` of a JSON error body.
    var errorCode: String? {
        let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any]
        return (object?["error"] as? [String: Any])?["code"] as? String
    }

    /// The body as a JSON object.
    var json: [String: Any]? {
        try? JSONSerialization.jsonObject(with: body) as? [String: Any]
    }
}

