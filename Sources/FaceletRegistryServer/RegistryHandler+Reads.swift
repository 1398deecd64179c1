import FaceletHTTP
import FaceletPackage
import FaceletStore
import Foundation

extension RegistryHandler {
    // MARK: - GET /v1/blobs/sha256/<hex>

    /// The blob's bytes from its file (whole, or one range), never read into memory here.
    // TODO: honour If-None-Match (304) and If-Range; blobs are immutable, so both are cheap.
    func blob(_ digest: Digest, range: String?) -> HTTPResponse {
        guard let path = store.blobFile(digest), let file = HTTPFile.open(path) else {
            return .failure(404, RegistryErrorCode.notFound, "no blob \(digest) in this registry")
        }
        var response = HTTPResponse.file(file, range: range, headers: [
            ("Content-Type", "application/octet-stream"), ("ETag", "\"\(digest)\""),
        ])
        if response.status == 416 {
            // Keep Content-Range and Accept-Ranges, send the error as JSON.
            let error = HTTPResponse.failure(416, RegistryErrorCode.rangeNotSatisfiable,
                                             "the range \(range?.prefix(80) ?? "") starts past"
                                                 + " the blob's \(file.size) bytes")
            response.headers = response.headers.filter {
                $0.0 != "Content-Type" && $0.0 != "ETag"
            } + error.headers
            response.body = error.body
        }
        return response
    }

    // MARK: - GET /v1/watch?since=N&timeout=S

    /// Waits for the change counter to pass `since`, then lists the audit entries after it.
    func watch(_ head: HTTPRequestHead) throws(StoreError) -> HTTPResponse {
        guard let since = wholeNumber(head.query["since"] ?? "0") else {
            return .failure(400, RegistryErrorCode.badRequest,
                            "since must be a whole number (a change counter), not"
                                + " '\(head.query["since"]?.prefix(40) ?? "")'")
        }
        let defaultSeconds = Int64(configuration.defaultWatchSeconds)
        guard let seconds = head.query["timeout"].map(wholeNumber) ?? defaultSeconds else {
            return .failure(400, RegistryErrorCode.badRequest,
                            "timeout must be a whole number of seconds, not"
                                + " '\(head.query["timeout"]?.prefix(40) ?? "")'")
        }
        let wait = Int(min(seconds, Int64(configuration.maximumWatchSeconds)))
        let counter = try watcher.wait(since: since, seconds: wait)
        var events: [WatchDocument.Event] = []
        if counter > since {
            // The counter counts audit entries (one trigger per insert), so the entries after
            // `since` are the newest `counter - since`.
            let wanted = Int(min(counter - since, Int64(RegistryHandler.maximumWatchEvents)))
            let formatter = ISO8601DateFormatter()
            events = try store.auditLog(limit: wanted).filter { $0.id > since }.reversed().map {
                let detail = (try? JSONDecoder().decode([String: String].self,
                                                        from: Data($0.detailJSON.utf8))) ?? [:]
                return WatchDocument.Event(at: formatter.string(from: $0.time),
                                           action: $0.action.rawValue, subject: $0.subject,
                                           detail: detail)
            }
        }
        return .document(200, WatchDocument(changeCounter: counter, events: events),
                         headers: [("Cache-Control", "no-store")])
    }

    /// The most audit entries one watch answer lists (the newest ones).
    static let maximumWatchEvents = 1000

    /// Digits only, at most 18 of them.
    private func wholeNumber(_ text: String) -> Int64? {
        guard !text.isEmpty, text.utf8.count <= 18,
              text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int64(text)
    }
}
