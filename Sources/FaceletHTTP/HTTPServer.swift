import CMicroHTTPD
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An embeddable HTTP/1.1 server: one libmicrohttpd daemon, one thread per connection,
/// requests handed to an `HTTPHandler`.
///
/// libmicrohttpd calls the access handler on its own threads, each request several times:
/// once when the headers are in, once per chunk of body, and once more with no data when the
/// body is complete
/// (https://www.gnu.org/software/libmicrohttpd/manual/html_node/microhttpd_002dcb.html).
/// The request's state lives in a `PendingRequest` kept in the connection's context pointer
/// and released in the request-completed callback.
///
/// Requests libmicrohttpd refuses before the handler sees them (a malformed request line,
/// headers over its per-connection memory) get its own short bodies, not the handler's.
///
///     let server = HTTPServer(configuration: .init(listen: .init(port: 0)), handler: routes)
///     let port = try server.start()
///     defer { server.stop() }
public final class HTTPServer: @unchecked Sendable {
    // @unchecked Sendable: `daemon` and `boundPort` are only touched with `lock` held; the
    // callbacks read `handler` and `configuration`, which are immutable.
    // TODO: give libmicrohttpd's own refusals the handler's error format (needs a newer
    // libmicrohttpd than 0.9.75, which has no hook for them).
    private let lock = NSLock()
    private var daemon: OpaquePointer?
    private var boundPort: UInt16?
    /// What the server accepts and where it listens.
    public let configuration: Configuration
    let handler: any HTTPHandler

    /// Where a server listens and what it accepts.
    public struct Configuration: Sendable, Equatable {
        /// The listen address.
        public var listen: HTTPListenAddress
        /// The most connections open at once; more are closed by the daemon as they arrive.
        public var maximumConnections: Int
        /// Seconds a connection may stay idle (including mid-request) before it is closed.
        /// Time spent in the handler does not count.
        public var connectionTimeoutSeconds: Int
        /// When true, percent escapes in the path and query are passed on undecoded (so `%00`
        /// cannot cut a path short and `%2e%2e` cannot become `..`); the registry wants this.
        public var keepsPercentEscapes: Bool

        /// A configuration: 64 connections, 30 s idle timeout, escapes decoded.
        public init(listen: HTTPListenAddress = HTTPListenAddress(),
                    maximumConnections: Int = 64, connectionTimeoutSeconds: Int = 30,
                    keepsPercentEscapes: Bool = false) {
            precondition(maximumConnections > 0 && connectionTimeoutSeconds > 0,
                         "server limits must be positive")
            self.listen = listen
            self.maximumConnections = maximumConnections
            self.connectionTimeoutSeconds = connectionTimeoutSeconds
            self.keepsPercentEscapes = keepsPercentEscapes
        }
    }

    /// A server for `handler`; call `start()` to listen.
    public init(configuration: Configuration, handler: any HTTPHandler) {
        self.configuration = configuration
        self.handler = handler
    }

    deinit {
        // The daemon's callbacks hold this object unretained: stop them before it goes.
        stop()
    }

    /// Binds and starts serving on libmicrohttpd's threads.
    ///
    /// - Returns: the bound port (the system's pick when the configured port is 0).
    /// - Throws: `HTTPServerError` `.badAddress` or `.bindFailed`.
    /// - Precondition: the server is not running.
    @discardableResult
    public func start() throws(HTTPServerError) -> UInt16 {
        lock.lock()
        defer { lock.unlock() }
        precondition(daemon == nil, "the server is already running")
        let started = try startDaemon()
        let port = facelet_mhd_bound_port(started)
        daemon = started
        boundPort = port
        return port
    }

    /// Stops accepting, waits for the connection threads to finish, and frees the daemon.
    /// Handlers still running are waited for; a handler that blocks should watch for its own
    /// stop signal.
    public func stop() {
        let running: OpaquePointer? = lock.withLock {
            defer {
                daemon = nil
                boundPort = nil
            }
            return daemon
        }
        if let running { MHD_stop_daemon(running) }
    }

    /// The bound port while running, nil otherwise.
    public var port: UInt16? { lock.withLock { boundPort } }

    /// The connections open now.
    public var connectionCount: Int {
        lock.withLock { daemon.map { Int(facelet_mhd_connection_count($0)) } ?? 0 }
    }

    // MARK: - Starting

    private func startDaemon() throws(HTTPServerError) -> OpaquePointer {
        let listen = configuration.listen
        var flags = MHD_USE_INTERNAL_POLLING_THREAD.rawValue
            | MHD_USE_THREAD_PER_CONNECTION.rawValue | MHD_USE_POLL.rawValue
        let context = Unmanaged.passUnretained(self).toOpaque()
        let connectionLimit = UInt32(clamping: configuration.maximumConnections)
        let timeout = UInt32(clamping: configuration.connectionTimeoutSeconds)
        let keepEscapes: Int32 = configuration.keepsPercentEscapes ? 1 : 0
        let started: OpaquePointer?
        var v4 = sockaddr_in()
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET, listen.host, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = listen.port.bigEndian
            started = withUnsafePointer(to: &v4) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                    facelet_mhd_start(flags, address, accessHandler, context, completedHandler,
                                      context, connectionLimit, timeout, keepEscapes)
                }
            }
        } else if inet_pton(AF_INET6, listen.host, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = listen.port.bigEndian
            flags |= MHD_USE_IPv6.rawValue
            started = withUnsafePointer(to: &v6) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                    facelet_mhd_start(flags, address, accessHandler, context, completedHandler,
                                      context, connectionLimit, timeout, keepEscapes)
                }
            }
        } else {
            throw HTTPServerError(.badAddress,
                                  "'\(listen.host.prefix(80))' is not a numeric IPv4 or IPv6"
                                      + " address; use for example 127.0.0.1",
                                  context: ["listen": listen.description])
        }
        guard let started else {
            throw HTTPServerError(.bindFailed,
                                  "cannot listen on \(listen) (\(String(cString: strerror(errno))))"
                                      + "; pick a free port or 0 for any",
                                  context: ["listen": listen.description])
        }
        return started
    }
}

private let accessHandler: MHD_AccessHandlerCallback = {
    context, connection, url, method, _, upload, uploadSize, requestContext in
    guard let context, let connection, let url, let method, let uploadSize,
          let requestContext else { return facelet_mhd_no() }
    let server = Unmanaged<HTTPServer>.fromOpaque(context).takeUnretainedValue()
    return server.access(connection, url: String(cString: url), method: String(cString: method),
                         upload: upload, uploadSize: uploadSize, context: requestContext)
}

private let completedHandler: MHD_RequestCompletedCallback = { _, _, requestContext, _ in
    guard let requestContext, let stored = requestContext.pointee else { return }
    let pending = Unmanaged<PendingRequest>.fromOpaque(stored).takeRetainedValue()
    requestContext.pointee = nil
    pending.end()
}
