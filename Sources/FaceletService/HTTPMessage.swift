import FaceletHTTP
import Foundation

// The service's own responses: every one carries `Facelet-Effect-Digest`.

extension HTTPResponse {
    /// The header naming the effect digest that produced a response (`none` when no effect
    /// was involved).
    static let digestHeader = "Facelet-Effect-Digest"

    /// A response whose body is `data`, with the digest header.
    init(status: Int, headers: [(String, String)], body: Data) {
        self.init(status: status, headers: headers, data: body)
    }

    /// A JSON response from a JSON-serialisable object.
    static func json(_ status: Int, _ object: Any, digest: String = "none") -> HTTPResponse {
        let data = (try? JSONSerialization.data(
            withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        return HTTPResponse(status: status,
                            headers: [("Content-Type", "application/json"),
                                      (digestHeader, digest)],
                            data: data + Data("\n".utf8))
    }

    /// A plain-text response.
    static func text(_ status: Int, _ text: String,
                     contentType: String = "text/plain") -> HTTPResponse {
        HTTPResponse(status: status,
                     headers: [("Content-Type", contentType), (digestHeader, "none")],
                     data: Data(text.utf8))
    }

    /// An error body `{"error": {"code": …, "message": …}}`.
    static func error(_ status: Int, code: String, message: String,
                      digest: String = "none") -> HTTPResponse {
        json(status, ["error": ["code": code, "message": message]], digest: digest)
    }
}
