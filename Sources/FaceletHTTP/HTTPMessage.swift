import Foundation

/// A request's head: what is known once its headers are in, before any body is read.
public struct HTTPRequestHead: Sendable {
    /// `GET`, `POST`, `DELETE`, …
    public let method: String
    /// The path without the query. Percent-decoded by the daemon unless the server keeps
    /// escapes (`HTTPServer.Configuration.keepsPercentEscapes`).
    public let path: String
    /// The query arguments (the last one wins when a name repeats).
    public let query: [String: String]
    /// Every header line in the order received, names lowercased.
    public let headerLines: [(name: String, value: String)]
    /// When the request's headers arrived (`DispatchTime` nanoseconds).
    public let started: UInt64

    /// Makes a head from its parts (the daemon does this; tests may too).
    public init(method: String, path: String, query: [String: String] = [:],
                headerLines: [(name: String, value: String)] = [],
                started: UInt64 = DispatchTime.now().uptimeNanoseconds) {
        self.method = method
        self.path = path
        self.query = query
        self.headerLines = headerLines.map { ($0.name.lowercased(), $0.value) }
        self.started = started
    }

    /// The headers, names lowercased (the last one wins when a name repeats).
    public var headers: [String: String] {
        Dictionary(headerLines.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
    }

    /// Every value of the header `name` (any case), in order.
    public func values(ofHeader name: String) -> [String] {
        let lowered = name.lowercased()
        return headerLines.filter { $0.name == lowered }.map(\.value)
    }

    /// The declared `Content-Length`, when present and a plain non-negative number.
    public var contentLength: Int? {
        guard let text = values(ofHeader: "content-length").last,
              !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
        else { return nil }
        // Digits only, so nil here means the number does not fit: treat it as huge.
        return Int(text) ?? Int.max
    }

    /// The path's non-empty segments.
    public var segments: [Substring] {
        path.split(separator: "/")
    }
}

/// A complete request as the daemon received it.
public struct HTTPRequest: Sendable {
    /// The head (method, path, query, headers).
    public let head: HTTPRequestHead
    /// The body, when the handler asked for it buffered (`HTTPBodyPlan.buffer`); empty
    /// otherwise.
    public let body: Data
    /// The sink the body was streamed to (`HTTPBodyPlan.stream`), if any.
    public let sink: (any HTTPBodySink)?
    /// The number of body bytes received (kept in `body` or given to `sink`).
    public let receivedBytes: Int
    /// True when the body is over the plan's limit: declared so by `Content-Length` (nothing
    /// was read) or found so while reading (reading stopped at the limit).
    public let bodyTooLarge: Bool

    /// Makes a request from its parts (the daemon does this; tests may too).
    public init(head: HTTPRequestHead, body: Data = Data(), sink: (any HTTPBodySink)? = nil,
                receivedBytes: Int? = nil, bodyTooLarge: Bool = false) {
        self.head = head
        self.body = body
        self.sink = sink
        self.receivedBytes = receivedBytes ?? body.count
        self.bodyTooLarge = bodyTooLarge
    }

    /// `GET`, `POST`, …
    public var method: String { head.method }
    /// The path without the query.
    public var path: String { head.path }
    /// The query arguments.
    public var query: [String: String] { head.query }
    /// The headers, names lowercased.
    public var headers: [String: String] { head.headers }
    /// When the headers arrived (`DispatchTime` nanoseconds).
    public var started: UInt64 { head.started }
    /// The path's non-empty segments.
    public var segments: [Substring] { head.segments }
}

/// A response to send: a status, header lines and a body from memory or from a file.
public struct HTTPResponse: Sendable {
    /// Where the body comes from.
    public enum Body: Sendable {
        /// Bytes in memory (the daemon copies them).
        case data(Data)
        /// `length` bytes of `file` from `offset`, sent by the daemon from the descriptor
        /// (never read into memory here).
        case file(HTTPFile, offset: UInt64, length: UInt64)
    }

    /// The status code.
    public var status: Int
    /// Header lines in order (Content-Type included; the daemon adds Content-Length).
    public var headers: [(String, String)]
    /// The body.
    public var body: Body

    /// A response from its parts.
    public init(status: Int, headers: [(String, String)] = [], body: Body = .data(Data())) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response whose body is `data`.
    public init(status: Int, headers: [(String, String)] = [], data: Data) {
        self.init(status: status, headers: headers, body: .data(data))
    }

    /// The value of the first header line named `name` (any case), if any.
    public func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }

    /// The body's size in bytes.
    public var bodyLength: UInt64 {
        switch body {
        case .data(let data): UInt64(data.count)
        case .file(_, _, let length): length
        }
    }
}
