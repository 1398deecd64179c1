import CMicroHTTPD
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension HTTPServer {
    // MARK: - The access handler

    /// One call of the access handler (see the type's documentation for the protocol).
    func access(_ connection: OpaquePointer, url: String, method: String,
                upload: UnsafePointer<CChar>?, uploadSize: UnsafeMutablePointer<Int>,
                context: UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> MHD_Result {
        guard let stored = context.pointee else {
            return begin(connection, url: url, method: method, context: context)
        }
        let pending = Unmanaged<PendingRequest>.fromOpaque(stored).takeUnretainedValue()
        let count = uploadSize.pointee
        if count > 0 {
            uploadSize.pointee = 0
            // Body after the answer (a refused or cut-off body): stop reading, close.
            guard !pending.responded else { return facelet_mhd_no() }
            if let limit = pending.plan.limit, count > limit - pending.received {
                // Over the limit: nothing past it is kept, and the rest is not read. The
                // handler's answer is offered at once; libmicrohttpd 0.9.75 refuses a
                // response queued mid-body, so in practice the connection is closed here.
                pending.tooLarge = true
                pending.responded = true
                return queue(connection, respond(connection, pending))
            }
            if let upload {
                let bytes = UnsafeRawBufferPointer(start: upload, count: count)
                pending.take(bytes)
            }
            return facelet_mhd_yes()
        }
        guard !pending.responded else { return facelet_mhd_yes() }
        pending.responded = true
        return queue(connection, respond(connection, pending))
    }

    /// The headers are in: asks the handler for a body plan, answering at once when it
    /// refuses or when the declared length is over the plan's limit (before reading the body).
    private func begin(_ connection: OpaquePointer, url: String, method: String,
                       context: UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> MHD_Result {
        let queryPairs = values(connection, facelet_mhd_query_kind())
        let head = HTTPRequestHead(
            method: method, path: url,
            query: Dictionary(queryPairs, uniquingKeysWith: { _, last in last }),
            headerLines: values(connection, facelet_mhd_header_kind()).map {
                (name: $0.0, value: $0.1)
            })
        let plan = handler.bodyPlan(for: head)
        let pending = PendingRequest(head: head, plan: plan)
        context.pointee = Unmanaged.passRetained(pending).toOpaque()
        if case .refuse(let response) = plan {
            pending.responded = true
            return queue(connection, response)
        }
        if let limit = plan.limit, let declared = head.contentLength, declared > limit {
            pending.tooLarge = true
            pending.responded = true
            return queue(connection, respond(connection, pending))
        }
        return facelet_mhd_yes()
    }

    /// Calls the handler with the connection's inactivity timer off, so a handler that blocks
    /// (a long poll) is not mistaken for an idle client; the timer restarts afterwards.
    private func respond(_ connection: OpaquePointer, _ pending: PendingRequest) -> HTTPResponse {
        _ = facelet_mhd_set_timeout(connection, 0)
        let response = handler.respond(to: pending.request())
        let timeout = UInt32(clamping: configuration.connectionTimeoutSeconds)
        _ = facelet_mhd_set_timeout(connection, timeout)
        return response
    }

    // MARK: - libmicrohttpd plumbing

    /// The key/value pairs of one kind (headers, query arguments) in the order received.
    private func values(_ connection: OpaquePointer, _ kind: MHD_ValueKind) -> [(String, String)] {
        let box = ValueBox()
        let pointer = Unmanaged.passUnretained(box).toOpaque()
        _ = MHD_get_connection_values(connection, kind, { cls, _, key, value in
            guard let cls, let key else { return facelet_mhd_yes() }
            let box = Unmanaged<ValueBox>.fromOpaque(cls).takeUnretainedValue()
            box.values.append((String(cString: key), value.map { String(cString: $0) } ?? ""))
            return facelet_mhd_yes()
        }, pointer)
        return withExtendedLifetime(box) { box.values }
    }

    /// Queues `response` on the connection; MHD_NO (close the connection) if it cannot.
    private func queue(_ connection: OpaquePointer, _ response: HTTPResponse) -> MHD_Result {
        let created: OpaquePointer?
        switch response.body {
        case .data(let data):
            created = data.withUnsafeBytes { raw -> OpaquePointer? in
                MHD_create_response_from_buffer(raw.count, UnsafeMutableRawPointer(
                    mutating: raw.baseAddress), facelet_mhd_copy_body())
            }
        case .file(let file, let offset, let length):
            // The response owns the descriptor from here and closes it when destroyed.
            guard let descriptor = file.take() else { return facelet_mhd_no() }
            created = MHD_create_response_from_fd_at_offset64(length, descriptor, offset)
            if created == nil { close(descriptor) }
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
final class PendingRequest {
    let head: HTTPRequestHead
    let plan: HTTPBodyPlan
    var body = Data()
    var received = 0
    var tooLarge = false
    var responded = false
    private var sinkStopped = false

    init(head: HTTPRequestHead, plan: HTTPBodyPlan) {
        self.head = head
        self.plan = plan
    }

    /// Keeps a body chunk (the caller has checked the limit).
    func take(_ bytes: UnsafeRawBufferPointer) {
        received += bytes.count
        switch plan {
        case .buffer:
            body.append(contentsOf: bytes)
        case .stream(let sink, _):
            if !sinkStopped, !sink.write(bytes) { sinkStopped = true }
        case .refuse:
            break
        }
    }

    /// The request as the handler sees it.
    func request() -> HTTPRequest {
        var sink: (any HTTPBodySink)?
        if case .stream(let streamed, _) = plan { sink = streamed }
        return HTTPRequest(head: head, body: body, sink: sink, receivedBytes: received,
                           bodyTooLarge: tooLarge)
    }

    /// The request is over: let go of the body and tell the sink.
    func end() {
        body = Data()
        if case .stream(let sink, _) = plan { sink.end() }
    }
}

/// Collects key/value pairs from `MHD_get_connection_values`.
private final class ValueBox {
    var values: [(String, String)] = []
}
