import FaceletRuntime
import Foundation

/// The reference HTTP service on a `FaceletRuntime` (libmicrohttpd, one thread per
/// connection).
///
/// Endpoints (docs/runtime.md, "HTTP service"):
///
///     POST   /v1/effects/{effect}/edit?strength=λ&format=png|jpeg   photo in, edited photo out
///     POST   /v1/sessions?effect={effect}                           photo in, session JSON out
///     GET    /v1/sessions/{id}/render?strength=λ&format=png|jpeg    edited photo out
///     DELETE /v1/sessions/{id}
///     GET    /v1/effects                                            installed effects, digests
///     GET    /healthz
///     GET    /metrics                                               Prometheus text
///
/// Every response carries `Facelet-Effect-Digest`: the content digest of the bank that
/// produced it, or `none`. Uploads above `Limits.maximumUploadBytes` get 413 (before the body
/// is read when Content-Length says so).
public final class RuntimeServer: Sendable {
    /// The runtime served.
    public let runtime: FaceletRuntime
    /// Where the server listens.
    public let listen: Listen
    /// What the server accepts.
    public let limits: Limits
    private let daemon: HTTPDaemon
    private let metrics: ServiceMetrics
    private let boundPort = LockedPort()

    /// A server for `runtime`; call `start()` to listen.
    public init(runtime: FaceletRuntime, listen: Listen = Listen(), limits: Limits = Limits()) {
        self.runtime = runtime
        self.listen = listen
        self.limits = limits
        let metrics = ServiceMetrics()
        self.metrics = metrics
        let slots = DispatchSemaphore(value: limits.concurrentEdits)
        let connections = LockedDaemon()
        let routes = RuntimeRoutes(runtime: runtime, limits: limits, metrics: metrics,
                                   computeSlots: slots,
                                   connections: { connections.daemon?.connectionCount ?? 0 })
        let maximumUpload = limits.maximumUploadBytes
        daemon = HTTPDaemon(maximumUploadBytes: limits.maximumUploadBytes) { incoming in
            let endpoint: String, response: HTTPResponse, started: UInt64
            switch incoming {
            case .request(let request):
                (endpoint, response) = routes.respond(to: request)
                started = request.started
            case .tooLarge(_, _, let declared, let start):
                let size = declared.map { "\($0) bytes are" } ?? "the body is"
                endpoint = "upload_refused"
                response = .error(413, code: "service.upload_too_large",
                                  message: "\(size) over the \(maximumUpload)-byte upload cap;"
                                      + " send a smaller photo")
                started = start
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds &- started) / 1e9
            metrics.record(endpoint: endpoint, status: response.status, seconds: seconds)
            return response
        }
        connections.daemon = daemon
    }

    /// Binds the listen address and starts serving on libmicrohttpd's threads.
    ///
    /// - Returns: the bound port (the system's pick when `listen.port` is 0).
    /// - Throws: `ServiceError` `.badAddress` or `.bindFailed`.
    /// - Precondition: the server is not running.
    @discardableResult
    public func start() throws(ServiceError) -> UInt16 {
        let port = try daemon.start(listen, limits: limits)
        boundPort.set(port)
        return port
    }

    /// Stops listening and waits for open connections to finish.
    public func stop() {
        daemon.stop()
        boundPort.set(nil)
    }

    /// The bound port while running, nil otherwise.
    public var port: UInt16? { boundPort.get() }

    /// The `/metrics` text now.
    public func metricsText() -> String {
        metrics.render(runtime: runtime, connections: daemon.connectionCount)
    }
}

/// The bound port, behind a lock.
private final class LockedPort: @unchecked Sendable {
    // @unchecked Sendable: `port` is only touched with `lock` held.
    private let lock = NSLock()
    private var port: UInt16?

    func set(_ value: UInt16?) {
        lock.lock()
        port = value
        lock.unlock()
    }

    func get() -> UInt16? {
        lock.lock()
        defer { lock.unlock() }
        return port
    }
}

/// Lets the routes ask the daemon for its connection count without a retain cycle at init.
private final class LockedDaemon: @unchecked Sendable {
    // @unchecked Sendable: `daemon` is set once in RuntimeServer.init, before the daemon runs
    // and so before any route can read it.
    weak var daemon: HTTPDaemon?
}
