import FaceletHTTP
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
    private let server: HTTPServer
    private let metrics: ServiceMetrics

    /// A server for `runtime`; call `start()` to listen.
    public init(runtime: FaceletRuntime, listen: Listen = Listen(), limits: Limits = Limits()) {
        self.runtime = runtime
        self.listen = listen
        self.limits = limits
        let metrics = ServiceMetrics()
        self.metrics = metrics
        let slots = DispatchSemaphore(value: limits.concurrentEdits)
        let connections = LockedServer()
        let routes = RuntimeRoutes(runtime: runtime, limits: limits, metrics: metrics,
                                   computeSlots: slots,
                                   connections: { connections.server?.connectionCount ?? 0 })
        let configuration = HTTPServer.Configuration(
            listen: HTTPListenAddress(host: listen.host, port: listen.port),
            maximumConnections: limits.maximumConnections,
            connectionTimeoutSeconds: limits.connectionTimeoutSeconds)
        server = HTTPServer(configuration: configuration,
                            handler: RuntimeHandler(routes: routes, metrics: metrics,
                                                    maximumUpload: limits.maximumUploadBytes))
        connections.server = server
    }

    /// Binds the listen address and starts serving on libmicrohttpd's threads.
    ///
    /// - Returns: the bound port (the system's pick when `listen.port` is 0).
    /// - Throws: `ServiceError` `.badAddress` or `.bindFailed`.
    /// - Precondition: the server is not running.
    @discardableResult
    public func start() throws(ServiceError) -> UInt16 {
        do {
            return try server.start()
        } catch {
            throw ServiceError(error)
        }
    }

    /// Stops listening and waits for open connections to finish.
    public func stop() {
        server.stop()
    }

    /// The bound port while running, nil otherwise.
    public var port: UInt16? { server.port }

    /// The `/metrics` text now.
    public func metricsText() -> String {
        metrics.render(runtime: runtime, connections: server.connectionCount)
    }
}

/// Takes every body in memory up to the upload cap and answers an oversize one with 413;
/// records each request in the metrics.
private struct RuntimeHandler: HTTPHandler {
    let routes: RuntimeRoutes
    let metrics: ServiceMetrics
    let maximumUpload: Int

    func bodyPlan(for head: HTTPRequestHead) -> HTTPBodyPlan {
        .buffer(limit: maximumUpload)
    }

    func respond(to request: HTTPRequest) -> HTTPResponse {
        let endpoint: String, response: HTTPResponse
        if request.bodyTooLarge {
            let size = request.head.contentLength.map { "\($0) bytes are" } ?? "the body is"
            endpoint = "upload_refused"
            response = .error(413, code: "service.upload_too_large",
                              message: "\(size) over the \(maximumUpload)-byte upload cap;"
                                  + " send a smaller photo")
        } else {
            (endpoint, response) = routes.respond(to: request)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds &- request.started) / 1e9
        metrics.record(endpoint: endpoint, status: response.status, seconds: seconds)
        return response
    }
}

/// Lets the routes ask the server for its connection count without a retain cycle at init.
private final class LockedServer: @unchecked Sendable {
    // @unchecked Sendable: `server` is set once in RuntimeServer.init, before the server runs
    // and so before any route can read it.
    weak var server: HTTPServer?
}
