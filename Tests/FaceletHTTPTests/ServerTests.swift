import FaceletHTTP
import FaceletTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What the test handler saw, across threads.
final class Seen: @unchecked Sendable {
    // @unchecked Sendable: every member is only touched with `lock` held.
    private let lock = NSLock()
    private var requests: [HTTPRequest] = []
    private var plans = 0

    func record(_ request: HTTPRequest) { lock.withLock { requests.append(request) } }
    func planned() { lock.withLock { plans += 1 } }
    var all: [HTTPRequest] { lock.withLock { requests } }
    var planCount: Int { lock.withLock { plans } }
}

/// Serves a test file with ranges, streams `/upload` bodies to files, sleeps on `/sleep`,
/// echoes the path and headers on `/echo`.
struct TestHandler: HTTPHandler {
    let file: String
    let uploads: String
    let limit: Int
    let seen: Seen

    func bodyPlan(for head: HTTPRequestHead) -> HTTPBodyPlan {
        seen.planned()
        switch head.path {
        case "/upload":
            let path = uploads + "/" + UUID().uuidString
            guard case .success(let sink) = HTTPFileSink.create(at: path) else {
                return .refuse(HTTPResponse(status: 500))
            }
            return .stream(sink, limit: limit)
        case "/refuse":
            return .refuse(HTTPResponse(status: 401, headers: [("WWW-Authenticate", "Bearer")],
                                        data: Data("no".utf8)))
        default:
            return .buffer(limit: limit)
        }
    }

    func respond(to request: HTTPRequest) -> HTTPResponse {
        seen.record(request)
        if request.bodyTooLarge { return HTTPResponse(status: 413, data: Data("big".utf8)) }
        switch request.path {
        case "/file":
            guard let file = HTTPFile.open(file) else { return HTTPResponse(status: 404) }
            return .file(file, range: request.headers["range"],
                         headers: [("Content-Type", "application/octet-stream")])
        case "/sleep":
            sleep(UInt32(request.query["seconds"] ?? "1") ?? 1)
            return HTTPResponse(status: 200, data: Data("awake".utf8))
        case "/upload":
            let sink = request.sink as? HTTPFileSink
            sink?.finish()
            let bytes = sink.flatMap { FileManager.default.contents(atPath: $0.path) } ?? Data()
            return HTTPResponse(status: 200, data: Data("\(bytes.count)".utf8))
        default:
            let text = request.path + "|"
                + request.head.values(ofHeader: "x-multi").joined(separator: ";")
            return HTTPResponse(status: 200, data: Data(text.utf8))
        }
    }
}

/// A server with the test handler on 127.0.0.1 at a free port, and a 10 000-byte file.
final class ServedHTTP {
    let folder: URL
    let server: HTTPServer
    let port: UInt16
    let seen = Seen()
    let fileBytes: Data

    init(limit: Int = 4096, timeout: Int = 30, connections: Int = 64,
         keepsEscapes: Bool = false) throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("facelet-http-test-\(UUID().uuidString)")
        let uploads = folder.appendingPathComponent("uploads")
        try FileManager.default.createDirectory(at: uploads, withIntermediateDirectories: true)
        fileBytes = Data((0..<10_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        let file = folder.appendingPathComponent("file.bin")
        try fileBytes.write(to: file)
        server = HTTPServer(
            configuration: .init(listen: .init(host: "127.0.0.1", port: 0),
                                 maximumConnections: connections,
                                 connectionTimeoutSeconds: timeout,
                                 keepsPercentEscapes: keepsEscapes),
            handler: TestHandler(file: file.path, uploads: uploads.path, limit: limit,
                                 seen: seen))
        port = try server.start()
    }

    deinit {
        server.stop()
        try? FileManager.default.removeItem(at: folder)
    }

    var uploadSizes: [Int] {
        let uploads = folder.appendingPathComponent("uploads").path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: uploads)) ?? []
        return names.map {
            ((try? FileManager.default.attributesOfItem(atPath: uploads + "/" + $0))?[.size]
                as? Int) ?? 0
        }
    }

    func get(_ path: String, headers: String = "") throws -> (status: Int?, head: String,
                                                              body: Data) {
        try RawConnection(port: port).exchange(
            "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\(headers)\r\n")
    }
}

@Suite("HTTP server")
struct ServerTests {
    @Test("a file is served whole, by one range, or refused past its end")
    func fileRanges() throws {
        let served = try ServedHTTP()
        let whole = try served.get("/file")
        #expect(whole.status == 200)
        #expect(whole.body == served.fileBytes)
        #expect(whole.head.contains("Accept-Ranges: bytes"))

        let part = try served.get("/file", headers: "Range: bytes=100-199\r\n")
        #expect(part.status == 206)
        #expect(part.body == served.fileBytes.subdata(in: 100..<200))
        #expect(part.head.contains("Content-Range: bytes 100-199/10000"))

        let tail = try served.get("/file", headers: "Range: bytes=9990-\r\n")
        #expect(tail.status == 206)
        #expect(tail.body == served.fileBytes.subdata(in: 9990..<10_000))

        let past = try served.get("/file", headers: "Range: bytes=10000-\r\n")
        #expect(past.status == 416)
        #expect(past.head.contains("Content-Range: bytes */10000"))
    }

    @Test("a streamed body reaches the sink whole when under the limit")
    func streamsToSink() throws {
        let served = try ServedHTTP()
        let body = String(repeating: "abcdefgh", count: 500)
        let reply = try RawConnection(port: served.port).exchange(
            "POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\r\n" + body)
        #expect(reply.status == 200)
        #expect(String(decoding: reply.body, as: UTF8.self) == "4000")
        #expect(waitUntil { served.uploadSizes.isEmpty })
    }

    @Test("a chunked body that passes the limit is cut off there and answered 413")
    func chunkedBodyStopsAtLimit() throws {
        let served = try ServedHTTP(limit: 4096)
        let connection = try RawConnection(port: served.port)
        connection.send("POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            + "Transfer-Encoding: chunked\r\n\r\n")
        let chunk = Data("400\r\n".utf8) + Data(repeating: 0x41, count: 1024) + Data("\r\n".utf8)
        var largest = 0
        var sent = 0
        for _ in 0..<256 {
            guard connection.send(chunk) else { break }
            sent += 1
            largest = max(largest, served.uploadSizes.max() ?? 0)
        }
        let (status, _) = connection.readStatus()
        #expect(status == 413 || status == nil)
        #expect(largest <= 4096)
        let request = try #require(served.seen.all.last)
        #expect(request.bodyTooLarge)
        #expect(request.receivedBytes == 4096)
        #expect(waitUntil { served.uploadSizes.isEmpty })
    }

    @Test("a declared oversize body is refused from the header, before it is sent")
    func declaredOversize() throws {
        let served = try ServedHTTP(limit: 4096)
        let connection = try RawConnection(port: served.port)
        connection.send("POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000\r\n"
                            + "Expect: 100-continue\r\n\r\n")
        #expect(connection.readStatus().status == 413)
        let request = try #require(served.seen.all.last)
        #expect(request.bodyTooLarge && request.receivedBytes == 0)
    }

    @Test("a refusing plan answers without calling respond")
    func refusalFromTheHead() throws {
        let served = try ServedHTTP()
        let reply = try served.get("/refuse")
        #expect(reply.status == 401)
        #expect(reply.head.contains("WWW-Authenticate: Bearer"))
        #expect(served.seen.planCount == 1 && served.seen.all.isEmpty)
    }

    @Test("a handler that blocks past the connection timeout still answers")
    func blockingHandler() throws {
        let served = try ServedHTTP(timeout: 1)
        let reply = try served.get("/sleep?seconds=3")
        #expect(reply.status == 200)
        #expect(String(decoding: reply.body, as: UTF8.self) == "awake")
    }

    @Test("a client that stalls mid-request is dropped after the timeout, others are served")
    func stalledClient() throws {
        let served = try ServedHTTP(timeout: 1)
        let stalled = try RawConnection(port: served.port)
        stalled.send("GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        #expect(try served.get("/echo").status == 200)
        let dropped = stalled.readToEnd()
        #expect(dropped.closed && dropped.data.isEmpty)
        #expect(try served.get("/echo").status == 200)
    }

    @Test("connections past the limit are closed unanswered")
    func connectionLimit() throws {
        let served = try ServedHTTP(connections: 1)
        let holder = try RawConnection(port: served.port)
        holder.send("GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        #expect(waitUntil { served.server.connectionCount == 1 })
        let extra = try served.get("/echo")
        #expect(extra.status == nil && extra.body.isEmpty)
        holder.send("Connection: close\r\n\r\n")
        #expect(holder.readStatus().status == 200)
    }

    @Test("percent escapes are decoded by default and kept when asked")
    func escapes() throws {
        let decoding = try ServedHTTP()
        let decoded = try decoding.get("/a%2e%2e/b")
        #expect(String(decoding: decoded.body, as: UTF8.self) == "/a../b|")
        let keeping = try ServedHTTP(keepsEscapes: true)
        let kept = try keeping.get("/a%2e%2e/b%00c")
        #expect(String(decoding: kept.body, as: UTF8.self) == "/a%2e%2e/b%00c|")
    }

    @Test("repeated headers reach the handler in order")
    func repeatedHeaders() throws {
        let served = try ServedHTTP()
        let reply = try served.get("/echo", headers: "X-Multi: one\r\nX-Multi: two\r\n")
        #expect(String(decoding: reply.body, as: UTF8.self) == "/echo|one;two")
    }
}
