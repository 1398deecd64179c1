import Foundation

/// A request as the daemon received it.
struct HTTPRequest: Sendable {
    /// `GET`, `POST`, `DELETE`, …
    let method: String
    /// The path without the query, percent-decoded by the daemon.
    let path: String
    /// The query arguments.
    let query: [String: String]
    /// The request headers, names lowercased.
    let headers: [String: String]
    /// The body.
    let body: Data
    /// When the request's headers arrived (`DispatchTime` nanoseconds).
    let started: UInt64

    /// The path's non-empty segments.
    var segments: [Substring] {
        path.split(separator: "/")
    }
}

/// A response to send.
struct HTTPResponse: Sendable {
    /// The status code.
    var status: Int
    /// Header lines in order (Content-Type included).
    var headers: [(String, String)]
    /// The body.
    var body: Data

    /// The header naming the effect digest that produced a response (`none` when no effect
    /// was involved).
    static let digestHeader = "Facelet-Effect-Digest"

    /// A JSON response from a JSON-serialisable object.
    static func json(_ status: Int, _ object: Any, digest: String = "none") -> HTTPResponse {
        let data = (try? JSONSerialization.data(
            withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        return HTTPResponse(status: status,
                            headers: [("Content-Type", "application/json"),
                                      (digestHeader, digest)],
                            body: data + Data("\n".utf8))
    }

    /// A plain-text response.
    static func text(_ status: Int, _ text: String,
                     contentType: String = "text/plain") -> HTTPResponse {
        HTTPResponse(status: status,
                     headers: [("Content-Type", contentType), (digestHeader, "none")],
                     body: Data(text.utf8))
    }

    /// An error body `{"error": {"code": …, "message": …}}`.
    static func error(_ status: Int, code: String, message: String,
                      digest: String = "none") -> HTTPResponse {
        json(status, ["error": ["code": code, "message": message]], digest: digest)
    }
}
