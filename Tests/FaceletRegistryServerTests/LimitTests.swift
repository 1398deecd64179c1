import FaceletPackage
import FaceletRegistryServer
import FaceletStore
import FaceletTestSupport
import Foundation
import Testing

@Suite("registry limits")
struct LimitTests {
    static let auth = "Authorization: Bearer s3cret-token\r\n"

    @Test("a publish without Content-Length is 411")
    func lengthRequired() throws {
        let served = try ServedRegistry()
        let connection = try RawConnection(port: served.port)
        connection.send("POST /v1/publish HTTP/1.1\r\nHost: 127.0.0.1\r\n\(LimitTests.auth)"
                            + "Transfer-Encoding: chunked\r\n\r\n")
        #expect(connection.readStatus().status == 411)
    }

    @Test("a declared oversize upload is 413 from the header, before any body is sent")
    func declaredOversize() throws {
        let served = try ServedRegistry(maximumUploadBytes: 4096)
        let connection = try RawConnection(port: served.port)
        // No body follows: the answer can only come from the header.
        connection.send("POST /v1/publish HTTP/1.1\r\nHost: 127.0.0.1\r\n\(LimitTests.auth)"
                            + "Content-Length: 4097\r\nExpect: 100-continue\r\n\r\n")
        let (status, head) = connection.readStatus()
        #expect(status == 413)
        #expect(!head.contains("100 Continue"))
        #expect(served.uploadFiles().isEmpty)
    }

    @Test("an upload of exactly the cap is read; one byte more is refused unread")
    func capBoundary() async throws {
        let cap = 4096
        let served = try ServedRegistry(maximumUploadBytes: cap)
        let atCap = try await served.publish(Data(repeating: 7, count: cap))
        #expect(atCap.status == 422)
        #expect(atCap.errorCode?.hasPrefix("package.") == true)
        let over = try await served.publish(Data(repeating: 7, count: cap + 1))
        #expect(over.status == 413)
        #expect(over.errorCode == "remote.upload_too_large")
        #expect(served.uploadFiles().isEmpty)
        let lines = served.logs.all
        #expect(lines.count == 2)
        #expect(lines.last?.contains("\"received\":0") == true)
    }

    @Test("an upload that sends more than it declared stops at the cap")
    func lyingUploadStopsAtCap() throws {
        let cap = 4096
        let served = try ServedRegistry(maximumUploadBytes: cap)
        let before = try served.store.changeCounter()
        let connection = try RawConnection(port: served.port)
        connection.send("POST /v1/publish HTTP/1.1\r\nHost: 127.0.0.1\r\n\(LimitTests.auth)"
                            + "Content-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n")
        let chunk = Data("400\r\n".utf8) + Data(repeating: 0x41, count: 1024) + Data("\r\n".utf8)
        var largest = 0
        for _ in 0..<64 {
            guard connection.send(chunk) else { break }
            largest = max(largest, served.uploadFiles().values.max() ?? 0)
        }
        connection.send("0\r\n\r\n")
        // libmicrohttpd takes the chunked body over the Content-Length; the server cuts it off
        // at the cap and closes the connection (no answer can be sent mid-body).
        let (status, _) = connection.readStatus()
        #expect(status == nil || status == 413)
        let line = try #require(served.logs.all.last)
        let logged = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        #expect(logged?["status"] as? Int == 413)
        #expect(logged?["received"] as? Int == cap)
        #expect(largest <= cap)
        #expect(try served.store.changeCounter() == before)
        #expect(waitUntil { served.uploadFiles().isEmpty })
    }

    @Test("a client that stalls half way is dropped after the timeout, others are served")
    func slowClientIsDropped() async throws {
        let served = try ServedRegistry(connectionTimeoutSeconds: 1)
        let stalledHead = try RawConnection(port: served.port)
        stalledHead.send("GET /v1/index HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        let stalledBody = try RawConnection(port: served.port)
        stalledBody.send("POST /v1/publish HTTP/1.1\r\nHost: 127.0.0.1\r\n\(LimitTests.auth)"
                             + "Content-Length: 1000\r\n\r\n" + String(repeating: "x", count: 100))

        #expect(try await served.request("/healthz").status == 200)
        let head = stalledHead.readToEnd()
        #expect(head.closed && head.data.isEmpty)
        let body = stalledBody.readToEnd()
        #expect(body.closed)
        #expect(!String(decoding: body.data, as: UTF8.self).contains("201"))
        #expect(waitUntil { served.uploadFiles().isEmpty })
        #expect(try await served.request("/healthz").status == 200)
    }

    @Test("connections over the limit are closed; a freed slot is used again")
    func connectionLimit() async throws {
        let served = try ServedRegistry(maximumConnections: 2)
        let first = try RawConnection(port: served.port)
        first.send("GET /v1/index HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        let second = try RawConnection(port: served.port)
        second.send("GET /v1/index HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        #expect(waitUntil { served.server.connectionCount == 2 })

        let third = try RawConnection(port: served.port)
        third.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        let refused = third.readToEnd()
        #expect(refused.data.isEmpty)

        first.send("Connection: close\r\n\r\n")
        #expect(first.readStatus().status == 200)
        var served200 = false
        for _ in 0..<50 where !served200 {
            let again = try RawConnection(port: served.port)
            again.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            served200 = again.readStatus().status == 200
            if !served200 { usleep(100_000) }
        }
        #expect(served200)
    }
}
