/// What a server does with requests: decides from the head how to take the body, then answers
/// the complete request.
///
/// Both are called on the daemon's connection thread (one per connection), so they may block:
/// a long poll simply waits before returning. The time a handler spends does not count as the
/// client's inactivity.
public protocol HTTPHandler: Sendable {
    /// How to take the body of the request whose head is `head`; `.refuse` answers at once
    /// without reading the body (an authorisation failure, a missing length).
    func bodyPlan(for head: HTTPRequestHead) -> HTTPBodyPlan

    /// The response to a complete request (or to one whose body is over the plan's limit,
    /// `request.bodyTooLarge`).
    func respond(to request: HTTPRequest) -> HTTPResponse
}

/// How the daemon takes one request's body.
public enum HTTPBodyPlan: Sendable {
    /// Gather the body in memory, at most `limit` bytes.
    case buffer(limit: Int)
    /// Hand the body to `sink` as it arrives, at most `limit` bytes.
    case stream(any HTTPBodySink, limit: Int)
    /// Answer now with this response; the body is never read.
    case refuse(HTTPResponse)

    /// The limit of a buffering or streaming plan.
    var limit: Int? {
        switch self {
        case .buffer(let limit), .stream(_, let limit): limit
        case .refuse: nil
        }
    }
}

/// Where a streamed request body goes (`HTTPBodyPlan.stream`).
///
/// The daemon calls `write` for each chunk in order, from the connection's thread, never with
/// more than the plan's limit in total (a body that would pass it is cut off before the chunk
/// that crosses it, and the connection is closed after the handler's answer, which
/// libmicrohttpd 0.9.75 cannot send mid-body); then `respond` runs; `end` is called exactly
/// once when the request is over, also when the client went away mid-body, so the sink can
/// remove what it wrote.
public protocol HTTPBodySink: AnyObject, Sendable {
    /// Takes the next chunk. Returning false stops the body here (the rest is not handed
    /// over); the handler finds out from the sink itself.
    func write(_ bytes: UnsafeRawBufferPointer) -> Bool

    /// The request is over: release what the sink holds.
    func end()
}
