import FaceletHTTP
import FaceletStore
import Foundation

/// The registry's `HTTPHandler`: routes, authorisation, the upload plan, and one log line per
/// request.
struct RegistryHandler: HTTPHandler {
    /// The store reads go to.
    let store: Store
    /// A second connection to the same store for publishes, so a publish (which holds its
    /// connection while it writes blobs) does not hold up reads; SQLite's WAL mode lets the
    /// two run side by side.
    let publisher: Store
    let configuration: RegistryServer.Configuration
    /// Where uploads are streamed to (one file per request, removed when it ends).
    let uploadDirectory: String
    let watcher: ChangeWatcher
    let log: @Sendable (String) -> Void

    /// Bodies of requests other than publish: none is expected, a small one is tolerated.
    static let readBodyLimit = 64 << 10

    // MARK: - HTTPHandler

    func bodyPlan(for head: HTTPRequestHead) -> HTTPBodyPlan {
        guard case .success(.publish) = RegistryRoute.match(method: head.method,
                                                            path: head.path) else {
            return .buffer(limit: RegistryHandler.readBodyLimit)
        }
        if let refusal = publishRefusal(head) {
            record(head, route: "publish", response: refusal, received: 0)
            return .refuse(refusal)
        }
        let path = uploadDirectory + "/" + UUID().uuidString.lowercased() + ".upload"
        switch HTTPFileSink.create(at: path) {
        case .success(let sink):
            return .stream(sink, limit: configuration.maximumUploadBytes)
        case .failure(let error):
            let refusal = HTTPResponse.failure(500, RegistryErrorCode.uploadFailed,
                                               "the server cannot store the upload: "
                                                   + error.message)
            record(head, route: "publish", response: refusal, received: 0)
            return .refuse(refusal)
        }
    }

    func respond(to request: HTTPRequest) -> HTTPResponse {
        let response: HTTPResponse
        var label = "other"
        switch RegistryRoute.match(method: request.method, path: request.path) {
        case .failure(let refusal):
            var headers: [(String, String)] = []
            if let allow = refusal.allow { headers.append(("Allow", allow)) }
            response = .failure(refusal.status, refusal.code, refusal.message, headers: headers)
        case .success(let route):
            label = route.label
            if request.bodyTooLarge {
                response = tooLarge(request, route: route)
            } else if let refusal = readRefusal(route, request.head) {
                response = refusal
            } else {
                response = answer(route, request)
            }
        }
        record(request.head, route: label, response: response, received: request.receivedBytes)
        return response
    }

    // MARK: - Dispatch

    private func answer(_ route: RegistryRoute, _ request: HTTPRequest) -> HTTPResponse {
        do throws(StoreError) {
            switch route {
            case .healthz:
                return .document(200, HealthDocument())
            case .index:
                return .document(200, try store.registryIndex(),
                                 headers: [("Cache-Control", "no-cache")])
            case .version(let digest):
                return .document(200, try store.versionDocument(digest: digest),
                                 headers: [("ETag", "\"\(digest)\"")])
            case .blob(let digest):
                return blob(digest, range: request.head.values(ofHeader: "range").last)
            case .publish:
                return publish(request)
            case .watch:
                return try watch(request.head)
            }
        } catch {
            return RegistryHandler.response(for: error)
        }
    }

    /// The answer to a store failure: its code and message with the matching status.
    static func response(for error: StoreError) -> HTTPResponse {
        let status: Int
        var code = error.code.rawValue
        switch error.code {
        case .notFound:
            status = 404
            code = RegistryErrorCode.notFound
        case .versionConflict, .kindConflict:
            status = 409
        case .backboneMissing:
            status = 424
        case .invalidPackage, .invalidSignature, .invalidReference:
            status = 422
        case .busy:
            status = 503
        default:
            status = 500
        }
        return .failure(status, code, error.message)
    }

    // MARK: - Authorisation

    /// Why a publish is refused from its head alone (403, 401, 411, 413), if it is.
    private func publishRefusal(_ head: HTTPRequestHead) -> HTTPResponse? {
        guard let token = configuration.token else {
            return .failure(403, RegistryErrorCode.forbidden,
                            "publishing is disabled on this registry (the server has no token;"
                                + " start it with $FACELET_TOKEN set)")
        }
        if let refusal = unauthorized(token, head) { return refusal }
        guard let length = head.contentLength else {
            return .failure(411, RegistryErrorCode.lengthRequired,
                            "a publish needs a Content-Length header (the package file's size)")
        }
        guard length <= configuration.maximumUploadBytes else {
            return .failure(413, RegistryErrorCode.uploadTooLarge,
                            "a \(length)-byte package is over this registry's"
                                + " \(configuration.maximumUploadBytes)-byte upload cap")
        }
        return nil
    }

    /// Why a read is refused when reads need the token (`--read-token`), if it is.
    private func readRefusal(_ route: RegistryRoute, _ head: HTTPRequestHead) -> HTTPResponse? {
        guard configuration.readsNeedToken, route != .healthz, route != .publish else {
            return nil
        }
        guard let token = configuration.token else {
            return .failure(403, RegistryErrorCode.forbidden,
                            "reads need a token but the server has none")
        }
        return unauthorized(token, head)
    }

    /// 401 with `WWW-Authenticate: Bearer` unless the head carries the token.
    private func unauthorized(_ token: BearerToken, _ head: HTTPRequestHead) -> HTTPResponse? {
        let offered = head.values(ofHeader: "authorization")
        guard offered.count == 1, token.accepts(authorization: offered[0]) else {
            let message = offered.isEmpty
                ? "this needs Authorization: Bearer <token>"
                : "the bearer token is not accepted"
            return .failure(401, RegistryErrorCode.unauthorized, message,
                            headers: [("WWW-Authenticate", "Bearer realm=\"facelet\"")])
        }
        return nil
    }

    private func tooLarge(_ request: HTTPRequest, route: RegistryRoute) -> HTTPResponse {
        let limit = route == .publish ? configuration.maximumUploadBytes
            : RegistryHandler.readBodyLimit
        let size = request.head.contentLength.map { "a \($0)-byte body is" } ?? "the body is"
        return .failure(413, RegistryErrorCode.uploadTooLarge,
                        "\(size) over this registry's \(limit)-byte cap")
    }

    // MARK: - Logging

    /// One line per request: method, path, route, status, bytes in and out, milliseconds and
    /// the error code. Never a header (so never a token).
    private func record(_ head: HTTPRequestHead, route: String, response: HTTPResponse,
                        received: Int) {
        let nanoseconds = DispatchTime.now().uptimeNanoseconds &- head.started
        let line = RequestLogLine(
            method: String(head.method.prefix(16)), path: String(head.path.prefix(200)),
            route: route, status: response.status, received: received,
            sent: response.bodyLength, milliseconds: Double(nanoseconds / 1000) / 1000,
            code: response.errorCode)
        let text = String(decoding: RegistryJSON.encode(line), as: UTF8.self)
        log(text.trimmingCharacters(in: .newlines))
    }
}

/// A request's log line (JSON, one object).
struct RequestLogLine: Codable {
    var event = "registry.request"
    var method: String
    var path: String
    var route: String
    var status: Int
    var received: Int
    var sent: UInt64
    var milliseconds: Double
    var code: String?

    init(method: String, path: String, route: String, status: Int, received: Int, sent: UInt64,
         milliseconds: Double, code: String?) {
        self.method = method
        self.path = path
        self.route = route
        self.status = status
        self.received = received
        self.sent = sent
        self.milliseconds = milliseconds
        self.code = code
    }
}
