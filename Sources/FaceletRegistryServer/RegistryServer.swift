import FaceletHTTP
import FaceletStore
import Foundation

/// A store served as a remote registry over HTTP under `/v1/` (docs/remote.md).
///
/// Reads (`index`, version documents, blobs with ranges, `watch`) are open unless
/// `readsNeedToken`; publishing needs the bearer token and is disabled (403) without one.
/// Uploads are streamed to files in `uploadDirectory`, never held whole in memory, and cut
/// off at `maximumUploadBytes`. Each request is logged as one JSON line to `log` (no headers,
/// so no tokens).
///
///     let server = try RegistryServer(store: store, configuration: .init(token: "s3cret"))
///     let port = try server.start()            // 127.0.0.1, a free port
///     defer { server.stop() }
///     // http://127.0.0.1:\(port)/v1/index
public final class RegistryServer: Sendable {
    /// The store served.
    public let store: Store
    /// Where the server listens and what it accepts.
    public let configuration: Configuration
    /// The folder uploads are streamed to.
    public let uploadDirectory: URL
    private let ownsUploadDirectory: Bool
    private let http: HTTPServer
    private let watcher: ChangeWatcher

    /// What a registry server accepts.
    public struct Configuration: Sendable {
        /// The listen address (default 127.0.0.1, a free port).
        public var listen: HTTPListenAddress
        /// The bearer token publishing needs; nil disables publishing (403).
        public var token: BearerToken?
        /// Whether reads need the token too (`--read-token`); `/healthz` never does.
        public var readsNeedToken: Bool
        /// The largest package upload (default 512 MiB); larger ones get 413.
        public var maximumUploadBytes: Int
        /// The most connections open at once (default 64).
        public var maximumConnections: Int
        /// Seconds a connection may stay idle, mid-request included (default 30).
        public var connectionTimeoutSeconds: Int
        /// A watch's wait when the request names no timeout (default 30 s).
        public var defaultWatchSeconds: Int
        /// The longest a watch waits (default 60 s).
        public var maximumWatchSeconds: Int
        /// Where uploads are streamed to; nil makes a fresh folder in the system's temporary
        /// folder, removed by `stop()`.
        public var uploadDirectory: URL?

        /// A configuration; every limit has the documented default.
        public init(listen: HTTPListenAddress = HTTPListenAddress(), token: String? = nil,
                    readsNeedToken: Bool = false, maximumUploadBytes: Int = 512 << 20,
                    maximumConnections: Int = 64, connectionTimeoutSeconds: Int = 30,
                    defaultWatchSeconds: Int = 30, maximumWatchSeconds: Int = 60,
                    uploadDirectory: URL? = nil) {
            precondition(maximumUploadBytes > 0 && maximumConnections > 0
                             && connectionTimeoutSeconds > 0 && defaultWatchSeconds >= 0
                             && maximumWatchSeconds >= 0, "registry limits must be positive")
            self.listen = listen
            self.token = token.flatMap(BearerToken.init)
            self.readsNeedToken = readsNeedToken
            self.maximumUploadBytes = maximumUploadBytes
            self.maximumConnections = maximumConnections
            self.connectionTimeoutSeconds = connectionTimeoutSeconds
            self.defaultWatchSeconds = defaultWatchSeconds
            self.maximumWatchSeconds = maximumWatchSeconds
            self.uploadDirectory = uploadDirectory
        }
    }

    /// A server for `store`; call `start()` to listen.
    ///
    /// - Parameter log: where each request's JSON log line goes (nowhere by default).
    /// - Throws: `RegistryServerError` `.setupFailed` when the upload folder cannot be made
    ///   or the store cannot be opened a second time (publishes use their own connection).
    public init(store: Store, configuration: Configuration = Configuration(),
                log: @escaping @Sendable (String) -> Void = { _ in }) throws(RegistryServerError) {
        self.store = store
        self.configuration = configuration
        let publisher: Store
        do {
            publisher = try Store.open(at: store.directory)
        } catch {
            throw RegistryServerError(.setupFailed,
                                      "cannot open the store for publishing: \(error.message)",
                                      context: ["store.path": store.directory.path])
        }
        let folder = configuration.uploadDirectory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent(
                "facelet-registry-uploads-\(UUID().uuidString.lowercased())")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw RegistryServerError(.setupFailed,
                                      "cannot make the upload folder \(folder.path): "
                                          + error.localizedDescription,
                                      context: ["upload.path": folder.path])
        }
        uploadDirectory = folder
        ownsUploadDirectory = configuration.uploadDirectory == nil
        let watcher = ChangeWatcher(store: store)
        self.watcher = watcher
        let handler = RegistryHandler(store: store, publisher: publisher,
                                      configuration: configuration,
                                      uploadDirectory: folder.path, watcher: watcher, log: log)
        http = HTTPServer(
            configuration: HTTPServer.Configuration(
                listen: configuration.listen,
                maximumConnections: configuration.maximumConnections,
                connectionTimeoutSeconds: configuration.connectionTimeoutSeconds,
                keepsPercentEscapes: true),
            handler: handler)
    }

    deinit {
        stop()
    }

    /// Binds the listen address and starts serving on libmicrohttpd's threads.
    ///
    /// - Returns: the bound port (the system's pick when the configured port is 0).
    /// - Throws: `RegistryServerError` `.badAddress` or `.bindFailed`.
    /// - Precondition: the server is not running.
    @discardableResult
    public func start() throws(RegistryServerError) -> UInt16 {
        watcher.reset()
        do {
            return try http.start()
        } catch {
            throw RegistryServerError(error)
        }
    }

    /// Ends the long polls, stops listening, waits for open connections to finish, and
    /// removes the upload folder if the server made it.
    public func stop() {
        watcher.stop()
        http.stop()
        if ownsUploadDirectory {
            try? FileManager.default.removeItem(at: uploadDirectory)
        }
    }

    /// The bound port while running, nil otherwise.
    public var port: UInt16? { http.port }

    /// `http://HOST:PORT/` while running (the registry's base URL), nil otherwise.
    public var baseURL: URL? {
        guard let port else { return nil }
        let address = HTTPListenAddress(host: configuration.listen.host, port: port)
        return URL(string: "http://\(address)/")
    }

    /// The connections open now.
    public var connectionCount: Int { http.connectionCount }
}
