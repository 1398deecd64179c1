import CCurl
import Foundation
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The registry's HTTP API through libcurl: GETs of documents and blobs, the upload of
/// `publish --to`.
///
/// One `CurlEasy` handle, one request at a time. The bearer token goes only into the
/// `Authorization` header; it is never part of a URL, an error or a log line (and is cut
/// out of any message the server sends back, should one echo it).
final class HTTPTransport: RegistryTransport {
    let location: RemoteLocation
    private let base: String
    private let scheme: String
    private let token: String?
    /// The environment variable the token comes from, for "set $X" hints.
    let tokenVariable: String
    private let easy: CurlEasy

    /// Seconds to wait for a connection.
    static let connectTimeout = 15
    /// A transfer slower than 1 byte/s for this many seconds is dropped (no total timeout:
    /// a large backbone may take long on a slow link, but never stalls forever).
    static let stallTimeout = 30

    init(base: String, token: String?, tokenVariable: String) throws(RemoteError) {
        self.base = base
        self.location = .http(base: base)
        self.scheme = base.lowercased().hasPrefix("https:") ? "https" : "http"
        self.token = token.flatMap { $0.isEmpty ? nil : $0 }
        self.tokenVariable = tokenVariable
        if let token = self.token, !Self.isBearerToken(token) {
            // Never echoed: it is a secret, and may hold control characters.
            throw RemoteError(.badToken,
                              "the token in $\(tokenVariable) is not a bearer token (RFC 6750: "
                                  + "letters, digits and - . _ ~ + /, then any '='); it is "
                                  + "not sent")
        }
        self.easy = try CurlEasy()
    }

    // MARK: - Reads

    func fetch(_ path: String, limit: Int) throws(RemoteError) -> Data {
        let url = base + path
        let sink = ResponseSink(limit: limit)
        let headers = try prepare(url: url, accept: "application/json")
        sink.check = { easy in
            let type = Self.mediaType(easy.contentType)
            guard easy.status == 200 else {
                return RemoteError(.badResponse, "\(path) answered HTTP \(easy.status), not 200",
                                   url: url, status: easy.status)
            }
            guard type != "text/html" else {
                return RemoteError(.badResponse,
                                   "\(path) answered an HTML page instead of a JSON document "
                                       + "(is the URL the registry's base?)",
                                   url: url, status: easy.status)
            }
            return nil
        }
        try run(sink, url: url, what: path, headers: headers)
        return sink.body
    }

    func download(_ path: String, into partial: PartialDownload) throws(RemoteError) {
        let url = base + path
        let offset = partial.size
        let expected = partial.expectedSize
        let sink = ResponseSink(limit: 0)
        sink.partial = partial
        let headers = try prepare(url: url, accept: "application/octet-stream")
        easy.set(CURLOPT_BUFFERSIZE, 512 * 1024)
        if offset > 0 {
            // > Pass a char pointer as parameter, which should contain the specified range you
            // > want to retrieve. It should be in the format "X-Y", where either X or Y may be
            // > left out. https://curl.se/libcurl/c/CURLOPT_RANGE.html
            try easy.set(CURLOPT_RANGE, "\(offset)-")
        }
        sink.check = { easy in
            Self.checkBlobAnswer(easy, path: path, url: url, offset: offset, expected: expected)
        }
        try run(sink, url: url, what: "blob \(partial.digest.short)…", headers: headers)
    }

    /// Whether a blob answer is the bytes asked for: `200` (or `206` with the matching
    /// `Content-Range` when resuming) and `application/octet-stream`.
    static func checkBlobAnswer(_ easy: CurlEasy, path: String, url: String, offset: Int64,
                                expected: Int64) -> RemoteError? {
        let status = easy.status
        if offset > 0 {
            guard status == 206 else {
                return RemoteError(
                    .badRange,
                    "asked \(path) for bytes \(offset)- to resume and got HTTP \(status) "
                        + "instead of 206 Partial Content; nothing was appended (the server "
                        + "ignores Range: pull --no-resume starts the blob over)",
                    url: url, status: status)
            }
            let range = easy.header("Content-Range")
            let wanted = "bytes \(offset)-\(expected - 1)/\(expected)"
            guard range == wanted else {
                return RemoteError(
                    .badRange,
                    "asked \(path) for bytes \(offset)- and got Content-Range "
                        + "'\(RemoteLocation.printable(range ?? "(none)"))', not '\(wanted)'; "
                        + "nothing was appended",
                    url: url, status: status)
            }
        } else if status != 200 {
            return RemoteError(.badResponse, "\(path) answered HTTP \(status), not 200",
                               url: url, status: status)
        }
        let type = mediaType(easy.contentType)
        guard type == "application/octet-stream" else {
            return RemoteError(
                .badResponse,
                "\(path) answered Content-Type '\(RemoteLocation.printable(type ?? "(none)"))' "
                    + "instead of application/octet-stream (an error page?); nothing was written",
                url: url, status: status)
        }
        return nil
    }

    // MARK: - Upload

    /// POSTs the file at `path` to `v1/publish`, streamed from disk with a known
    /// `Content-Length`, plus one `Facelet-Signature` header per entry of `signatures`.
    /// - Returns: The status (200 or 201) and the JSON body.
    /// - Throws: `RemoteError` mapped from the server's error (`.unauthorized`, `.forbidden`,
    ///   `.conflict`, `.tooLarge`, `.invalidPackage`, `.backboneMissing`, …).
    func upload(file path: String, signatures: [String],
                onSent: ((Int64) -> Void)? = nil) throws(RemoteError) -> (Int, Data) {
        let url = base + "v1/publish"
        guard let size = PartialDownload.fileSize(path) else {
            throw RemoteError(.io, "cannot read \(path): no such file")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw RemoteError(.io, "cannot open \(path): " + String(cString: strerror(errno)))
        }
        defer { close(fd) }
        let source = UploadSource(fd: fd, onSent: onSent)
        let sink = ResponseSink(limit: 1 << 20)
        sink.check = { _ in nil }
        let headers = try prepare(
            url: url, accept: "application/json",
            extra: ["Content-Type: application/octet-stream"]
                + signatures.map { "Facelet-Signature: \($0)" })
        easy.set(CURLOPT_POST, 1)
        easy.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: size)
        easy.set(CURLOPT_READFUNCTION, callback: readFromSource)
        let unmanagedSource = Unmanaged.passUnretained(source)
        easy.set(CURLOPT_READDATA, pointer: unmanagedSource.toOpaque())
        try withExtendedLifetime(source) { () throws(RemoteError) in
            try run(sink, url: url, what: "the upload", headers: headers)
        }
        return (easy.status, sink.body)
    }

    // MARK: - Steps

    /// Resets the handle and sets the options every request shares; returns the header list,
    /// which must outlive the request.
    private func prepare(url: String, accept: String,
                         extra: [String] = []) throws(RemoteError) -> HeaderList {
        easy.reset()
        try easy.set(CURLOPT_URL, url)
        // Only HTTP(S), and redirects only within the base URL's scheme (no https → http
        // downgrade, no file:// from a server's Location).
        try easy.set(CURLOPT_PROTOCOLS_STR, "http,https")
        try easy.set(CURLOPT_REDIR_PROTOCOLS_STR, scheme)
        easy.set(CURLOPT_FOLLOWLOCATION, 1)
        easy.set(CURLOPT_MAXREDIRS, 5)
        easy.set(CURLOPT_CONNECTTIMEOUT, Self.connectTimeout)
        easy.set(CURLOPT_LOW_SPEED_LIMIT, 1)
        easy.set(CURLOPT_LOW_SPEED_TIME, Self.stallTimeout)
        try easy.set(CURLOPT_USERAGENT, "facelet-registry")
        var lines = ["Accept: \(accept)"] + extra
        // libcurl (7.58+) does not send a custom Authorization header on a redirect to
        // another host, so the token stays with the host it is meant for.
        if let token { lines.append("Authorization: Bearer \(token)") }
        let headers = HeaderList(lines)
        easy.set(headers: headers)
        return headers
    }

    /// Performs the prepared request into `sink` and turns every failure into a
    /// `RemoteError`.
    private func run(_ sink: ResponseSink, url: String, what: String,
                     headers: HeaderList) throws(RemoteError) {
        sink.easy = easy
        easy.set(CURLOPT_WRITEFUNCTION, callback: writeToSink)
        let unmanaged = Unmanaged.passUnretained(sink)
        easy.set(CURLOPT_WRITEDATA, pointer: unmanaged.toOpaque())
        let code = withExtendedLifetime((sink, headers)) { easy.perform() }
        sink.easy = nil
        if let failure = sink.failure {
            throw redacted(failure)
        }
        let status = easy.status
        if code != CURLE_OK, !(sink.errorStatus && status >= 400) {
            let received = sink.partial.map { " after \($0.size - $0.resumedFrom) bytes" } ?? ""
            let hint = sink.partial != nil ? "; run pull again to resume" : ""
            throw redacted(RemoteError(
                .connection,
                "\(what) from \(location) failed\(received): \(easy.failure(code))\(hint)",
                url: url, status: status == 0 ? nil : status))
        }
        if status >= 400 {
            throw redacted(Self.httpError(status: status, body: sink.body, url: url, what: what,
                                          tokenVariable: tokenVariable, token: token))
        }
        if !sink.checked, let check = sink.check, let failure = check(easy) {
            throw redacted(failure)
        }
    }

    /// Cuts the token out of a message, should a server have echoed it in a header value
    /// that a message quotes. Tokens shorter than 8 characters are left to `httpError`, which
    /// redacts the server's own words only: cutting a short token everywhere would garble the
    /// message's own words (a token `remote`) and show where the token's letters are.
    private func redacted(_ error: RemoteError) -> RemoteError {
        guard let token, token.count >= 8, error.message.contains(token) else { return error }
        var copy = error
        copy.message = copy.message.replacingOccurrences(of: token, with: "<redacted>")
        return copy
    }

    /// RFC 6750's `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
    static func isBearerToken(_ token: String) -> Bool {
        let body = token.utf8.reversed().drop { $0 == UInt8(ascii: "=") }
        return !body.isEmpty && body.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"):
                true
            default:
                "-._~+/".utf8.contains(byte)
            }
        }
    }

    /// The server's JSON error (`{"error": {"code", "message"}}`) or the bare status as a
    /// `RemoteError`.
    static func httpError(status: Int, body: Data, url: String, what: String,
                          tokenVariable: String, token: String?) -> RemoteError {
        struct Envelope: Decodable {
            struct Body: Decodable {
                var code: String?
                var message: String?
            }
            var error: Body
        }
        let served = (try? JSONDecoder().decode(Envelope.self, from: body))?.error
        // The server's words, with the token cut out should it have echoed it.
        func quoted(_ text: String) -> String {
            let safe = RemoteLocation.printable(text)
            guard let token else { return safe }
            return safe.replacingOccurrences(of: token, with: "<redacted>")
        }
        let said = served?.message.map { ": " + quoted($0) } ?? ""
        let serverCode = served?.code.map { " (\(quoted($0)))" } ?? ""
        let hasToken = token != nil
        let code: RemoteError.Code
        var hint = ""
        switch status {
        case 401:
            code = .unauthorized
            hint = hasToken
                ? "; the token in $\(tokenVariable) was refused"
                : "; set the registry's token in $\(tokenVariable)"
        case 403: code = .forbidden
        case 404: code = .notFound
        case 409: code = .conflict
        case 413: code = .tooLarge
        case 416: code = .badRange
            hint = "; pull --no-resume starts the blob over"
        case 422: code = .invalidPackage
        case 424: code = .backboneMissing
            if !said.contains("backbone") { hint = "; publish the backbone to the remote first" }
        default: code = .badResponse
        }
        return RemoteError(code, "\(what): the remote answered HTTP \(status)\(serverCode)"
                               + "\(said)\(hint)", url: url, status: status)
    }

    /// `application/octet-stream` from `Application/Octet-Stream; charset=x`.
    static func mediaType(_ contentType: String?) -> String? {
        contentType.map {
            String($0.split(separator: ";", maxSplits: 1).first ?? "")
                .trimmingCharacters(in: .whitespaces).lowercased()
        }
    }
}

/// Where libcurl's write callback puts a response: the memory buffer of a document, or the
/// `.part` of a blob, after checking the status and type once before the first byte.
final class ResponseSink {
    /// The handle running the request (for status and headers in the callback).
    var easy: CurlEasy?
    /// Checks the answer before its first byte is kept; a returned error aborts the transfer.
    var check: ((CurlEasy) -> RemoteError?)?
    /// The blob file, or nil to collect the body in memory.
    var partial: PartialDownload?
    /// The body (a document, or the start of an error answer).
    var body = Data()
    /// The most bytes kept in `body`.
    let limit: Int
    /// Whether the first byte has been seen (and the check run).
    var checked = false
    /// The status was 400 or above: the body is an error message, collected in memory.
    var errorStatus = false
    /// Why the transfer was aborted.
    var failure: RemoteError?

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes one piece of the body; returns how many bytes were taken (fewer aborts).
    func receive(_ bytes: UnsafeRawBufferPointer) -> Int {
        if !checked {
            checked = true
            if let easy, easy.status >= 400 {
                errorStatus = true
            } else if let easy, let check, let refusal = check(easy) {
                failure = refusal
                return 0
            }
        }
        if errorStatus {
            // An error answer's body only feeds the message: keep its start, drop the rest.
            let room = max(0, 64 * 1024 - body.count)
            if room > 0 { body.append(contentsOf: bytes.prefix(room)) }
            return bytes.count
        }
        if let partial {
            guard partial.append(bytes) else {
                failure = partial.appendFailure
                return 0
            }
            return bytes.count
        }
        guard body.count + bytes.count <= limit else {
            failure = RemoteError(.badResponse, "the answer is larger than \(limit) bytes")
            return 0
        }
        body.append(contentsOf: bytes)
        return bytes.count
    }
}

/// The file an upload streams from, read in libcurl's read callback.
final class UploadSource {
    let fd: Int32
    let onSent: ((Int64) -> Void)?
    var sent: Int64 = 0

    init(fd: Int32, onSent: ((Int64) -> Void)?) {
        self.fd = fd
        self.onSent = onSent
    }
}

/// `CURLOPT_WRITEFUNCTION`: hands each piece to the `ResponseSink` in `userdata`.
private let writeToSink: facelet_curl_data_callback = { buffer, size, count, userdata in
    guard let userdata else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(userdata).takeUnretainedValue()
    return sink.receive(UnsafeRawBufferPointer(start: buffer, count: size * count))
}

/// `CURLOPT_READFUNCTION`: fills libcurl's buffer from the `UploadSource` in `userdata`.
private let readFromSource: facelet_curl_data_callback = { buffer, size, count, userdata in
    guard let userdata, let buffer else { return Int(CURL_READFUNC_ABORT) }
    let source = Unmanaged<UploadSource>.fromOpaque(userdata).takeUnretainedValue()
    while true {
        let got = read(source.fd, buffer, size * count)
        if got < 0, errno == EINTR { continue }
        guard got >= 0 else { return Int(CURL_READFUNC_ABORT) }
        source.sent += Int64(got)
        source.onSent?(source.sent)
        return got
    }
}
