import FaceletHTTP
import FaceletStore
import Foundation

/// The error codes the registry answers with (besides the store's, package reader's and
/// signature codes it passes on).
enum RegistryErrorCode {
    static let badRequest = "remote.bad_request"
    static let notFound = "remote.not_found"
    static let methodNotAllowed = "remote.method_not_allowed"
    static let unauthorized = "remote.unauthorized"
    static let forbidden = "remote.publishing_disabled"
    static let lengthRequired = "remote.length_required"
    static let uploadTooLarge = "remote.upload_too_large"
    static let uploadFailed = "remote.upload_failed"
    static let rangeNotSatisfiable = "remote.range_not_satisfiable"
    static let internalError = "remote.internal"
}

/// `{"error": {"code": …, "message": …}}`.
struct ErrorDocument: Codable, Equatable {
    struct Detail: Codable, Equatable {
        var code: String
        var message: String
    }

    var error: Detail
}

/// The answer to `POST /v1/publish`.
public struct PublishDocument: Codable, Sendable, Equatable {
    /// `name:version`.
    public var reference: String
    /// The content digest.
    public var digest: String
    /// True when this exact content was already there (status 200, not 201).
    public var alreadyPresent: Bool

    /// A publish answer from its parts.
    public init(reference: String, digest: String, alreadyPresent: Bool) {
        self.reference = reference
        self.digest = digest
        self.alreadyPresent = alreadyPresent
    }

    enum CodingKeys: String, CodingKey {
        case reference, digest
        case alreadyPresent = "already_present"
    }
}

/// The answer to `GET /v1/watch`: the change counter now and the audit entries after `since`.
public struct WatchDocument: Codable, Sendable, Equatable {
    /// One audit entry.
    public struct Event: Codable, Sendable, Equatable {
        /// When, ISO 8601 in UTC.
        public var at: String
        /// `publish`, `tag`, `rm`, `gc`, `sign`, `trust`, `untrust`.
        public var action: String
        /// `name:version`, `name@tag`, `store` or a key id.
        public var subject: String
        /// The entry's details (digest, previous tag target, counts, …).
        public var detail: [String: String]

        /// An event from its parts.
        public init(at: String, action: String, subject: String, detail: [String: String]) {
            self.at = at
            self.action = action
            self.subject = subject
            self.detail = detail
        }
    }

    /// The store's change counter when the answer was made.
    public var changeCounter: Int64
    /// The audit entries numbered above `since`, oldest first (empty on a timeout).
    public var events: [Event]

    /// A watch answer from its parts.
    public init(changeCounter: Int64, events: [Event]) {
        self.changeCounter = changeCounter
        self.events = events
    }

    enum CodingKeys: String, CodingKey {
        case events
        case changeCounter = "change_counter"
    }
}

/// `{"status": "ok"}`.
struct HealthDocument: Codable {
    var status = "ok"
}

extension HTTPResponse {
    /// A registry JSON document (sorted keys, the same bytes a mirror writes).
    static func document<T: Encodable>(_ status: Int, _ value: T,
                                       headers: [(String, String)] = []) -> HTTPResponse {
        HTTPResponse(status: status,
                     headers: [("Content-Type", "application/json")] + headers,
                     data: RegistryJSON.encode(value))
    }

    /// A JSON error `{"error": {"code": …, "message": …}}`.
    static func failure(_ status: Int, _ code: String, _ message: String,
                        headers: [(String, String)] = []) -> HTTPResponse {
        document(status, ErrorDocument(error: .init(code: code, message: message)),
                 headers: headers)
    }

    /// The error code of a JSON error response (for the log line), if it is one.
    var errorCode: String? {
        guard status >= 400, case .data(let data) = body else { return nil }
        return (try? JSONDecoder().decode(ErrorDocument.self, from: data))?.error.code
    }
}
