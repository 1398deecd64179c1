import CMicroHTTPD
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Owns one libmicrohttpd daemon and turns its callbacks into `HTTPRequest`s.
///
/// libmicrohttpd calls the access handler on its own threads (one per connection here), each
/// request several times: once when the headers are in, once per chunk of body, and once more
/// with no data when the body is complete
/// (https://www.gnu.org/software/libmicrohttpd/manual/html_node/microhttpd_002dcb.html).
/// The body is gathered in a `PendingRequest` kept in the connection's context pointer and
/// released in the request-completed callback.
final class HTTPDaemon: @unchecked Sendable {
    // @unchecked Sendable: `daemon` is written once in `start` before any callback can run and
    // read-only afterwards until `stop`, which the owner calls once; everything else is
    // immutable or Sendable.
    private var daemon: OpaquePointer?
    private let maximumUploadBytes: Int
    private let handler: @Sendable (Incoming) -> HTTPResponse

    /// What the daemon hands over: a complete request, or one refused for its size.
    enum Incoming {
        case request(HTTPRequest)
        /// The body is over the cap (`declared`: the Content-Length, when it said so).
        case tooLarge(method: String, path: String, declared: Int?, started: UInt64)
    }

    init(maximumUploadBytes: Int, handler: @escaping @Sendable (Incoming) -> HTTPResponse) {
        self.maximumUploadBytes = maximumUploadBytes
        self.handler = handler
    }

    deinit {
        // The daemon's callbacks hold this object unretained: stop them before it goes.
        stop()
    }

    /// Binds and starts serving; returns the bound port.
    func start(_ listen: RuntimeServer.Listen, limits: RuntimeServer.Limits)
        throws(ServiceError) -> UInt16 {
        precondition(daemon == nil, "the daemon is already running")
        var flags = MHD_USE_INTERNAL_POLLING_THREAD.rawValue
            | MHD_USE_THREAD_PER_CONNECTION.rawValue | MHD_USE_POLL.rawValue
        let context = Unmanaged.passUnretained(self).toOpaque()
        let connectionLimit = UInt32(clamping: limits.maximumConnections)
        let timeout = UInt32(clamping: limits.connectionTimeoutSeconds)
        let started: OpaquePointer?
        var v4 = sockaddr_in()
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET, listen.host, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = listen.port.bigEndian
            started = withUnsafePointer(to: &v4) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                    facelet_mhd_start(flags, address, accessHandler, context, completedHandler,
                                      context, connectionLimit, timeout)
                }
            }
        } else if inet_pton(AF_INET6, listen.host, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = listen.port.bigEndian
            flags |= MHD_USE_IPv6.rawValue
            started = withUnsafePointer(to: &v6) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                    facelet_mhd_start(flags, address, accessHandler, context, completedHandler,
                                      context, connectionLimit, timeout)
                }
            }
        } else {
            throw ServiceError(.badAddress,
                               "'\(listen.host.prefix(80))' is not a numeric IPv4 or IPv6"
                                   + " address; use for example 127.0.0.1",
                               context: ["listen": listen.description])
        }
        guard let started else {
            throw ServiceError(.bindFailed,
                               "cannot listen on \(listen) (\(String(cString: strerror(errno))));"
                                   + " pick a free port or 0 for any",
                               context: ["listen": listen.description])
        }
        daemon = started
        return facelet_mhd_bound_port(started)
    }

    /// Stops accepting, waits for the connection threads to finish, and frees the daemon.
    func stop() {
        guard let daemon else { return }
        MHD_stop_daemon(daemon)
        self.daemon = nil
    }

    /// The connections open now.
    var connectionCount: Int {
        guard let daemon else { return 0 }
        return Int(facelet_mhd_connection_count(daemon))
    }

    // MARK: - Callbacks

    /// One call of the access handler (see the type's documentation for the protocol).
    fileprivate func access(_ connection: OpaquePointer, url: String, method: String,
                            upload: UnsafePointer<CChar>?,
                            uploadSize: UnsafeMutablePointer<Int>,
                            context: UnsafeMutablePointer<UnsafeMutableRawPointer?>)
        -> MHD_Result {
        guard let stored = context.pointee else {
            // Headers are in: set up the request, refusing a declared oversize body before
            // reading it.
            let pending = PendingRequest(method: method, path: url)
            context.pointee = Unmanaged.passRetained(pending).toOpaque()
            let declared = lookup(connection, facelet_mhd_header_kind(), "Content-Length")
                .flatMap(Int.init)
            if let declared, declared > maximumUploadBytes {
                pending.oversize = true
                pending.responded = true
                return queue(connection, handler(.tooLarge(method: method, path: url,
                                                           declared: declared,
                                                           started: pending.started)))
            }
            return facelet_mhd_yes()
        }
        let pending = Unmanaged<PendingRequest>.fromOpaque(stored).takeUnretainedValue()
        if uploadSize.pointee > 0 {
            // A body chunk: keep it unless the body is already too large.
            if !pending.oversize, let upload {
                if pending.body.count + uploadSize.pointee > maximumUploadBytes {
                    pending.oversize = true
                    pending.body = Data()
                } else {
                    pending.body.append(UnsafeRawPointer(upload).assumingMemoryBound(
                        to: UInt8.self), count: uploadSize.pointee)
                }
            }
            uploadSize.pointee = 0
            return facelet_mhd_yes()
        }
        guard !pending.responded else { return facelet_mhd_yes() }
        pending.responded = true
        if pending.oversize {
            return queue(connection, handler(.tooLarge(method: method, path: url, declared: nil,
                                                       started: pending.started)))
        }
        let request = HTTPRequest(method: method, path: url,
                                  query: values(connection, facelet_mhd_query_kind()),
                                  headers: values(connection, facelet_mhd_header_kind(),
                                                  lowercased: true),
                                  body: pending.body, started: pending.started)
        pending.body = Data()
        return queue(connection, handler(.request(request)))
    }

    private func lookup(_ connection: OpaquePointer, _ kind: MHD_ValueKind,
                        _ key: String) -> String? {
        MHD_lookup_connection_value(connection, kind, key).map { String(cString: $0) }
    }

    private func values(_ connection: OpaquePointer, _ kind: MHD_ValueKind,
                        lowercased: Bool = false) -> [String: String] {
        let box = ValueBox()
        let pointer = Unmanaged.passUnretained(box).toOpaque()
        _ = MHD_get_connection_values(connection, kind, { cls, _, key, value in
            guard let cls, let key else { return facelet_mhd_yes() }
            let box = Unmanaged<ValueBox>.fromOpaque(cls).takeUnretainedValue()
            box.values.append((String(cString: key), value.map { String(cString: $0) } ?? ""))
            return facelet_mhd_yes()
        }, pointer)
        var out: [String: String] = [:]
        for (key, value) in box.values {
            out[lowercased ? key.lowercased() : key] = value
        }
        return withExtendedLifetime(box) { out }
    }

    private func queue(_ connection: OpaquePointer, _ response: HTTPResponse) -> MHD_Result {
        let created = response.body.withUnsafeBytes { raw -> OpaquePointer? in
            MHD_create_response_from_buffer(raw.count, UnsafeMutableRawPointer(
                mutating: raw.baseAddress), facelet_mhd_copy_body())
        }
        guard let created else { return facelet_mhd_no() }
        defer { MHD_destroy_response(created) }
        for (name, value) in response.headers {
            _ = MHD_add_response_header(created, name, value)
        }
        return MHD_queue_response(connection, UInt32(response.status), created)
    }
}

/// A request whose body is still arriving.
private final class PendingRequest {
    let method: String
    let path: String
    var body = Data()
    var oversize = false
    var responded = false
    /// When the headers arrived (`DispatchTime` nanoseconds).
    let started = DispatchTime.now().uptimeNanoseconds

    init(method: String, path: String) {
        self.method = method
        self.path = path
    }
}

/// Collects key/value pairs from `MHD_get_connection_values`.
private final class ValueBox {
    var values: [(String, String)] = []
}

private let accessHandler: MHD_AccessHandlerCallback = {
    context, connection, url, method, _, upload, uploadSize, requestContext in
    guard let context, let connection, let url, let method, let uploadSize,
          let requestContext else { return facelet_mhd_no() }
    let daemon = Unmanaged<HTTPDaemon>.fromOpaque(context).takeUnretainedValue()
    return daemon.access(connection, url: String(cString: url), method: String(cString: method),
                         upload: upload, uploadSize: uploadSize, context: requestContext)
}

private let completedHandler: MHD_RequestCompletedCallback = { _, _, requestContext, _ in
    guard let requestContext, let stored = requestContext.pointee else { return }
    Unmanaged<PendingRequest>.fromOpaque(stored).release()
    requestContext.pointee = nil
}
