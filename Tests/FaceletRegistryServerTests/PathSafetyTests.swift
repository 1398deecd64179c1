import FaceletTestSupport
import Foundation
import Testing

@Suite("registry path safety")
struct PathSafetyTests {
    static let hex = String(repeating: "0123456789abcdef", count: 4)

    @Test("malformed digests and traversal attempts are 400 before touching a path", arguments: [
        "/v1/blobs/sha256/" + hex.uppercased(),
        "/v1/blobs/sha256/" + hex.dropLast(),
        "/v1/blobs/sha256/" + hex + "0",
        "/v1/blobs/sha1/" + hex.prefix(40),
        "/v1/blobs/sha256/" + hex + "/extra",
        "/v1/blobs/sha256/../../store.sqlite",
        "/v1/blobs/sha256//etc/passwd",
        "/v1/versions/sha256/%2e%2e%2f%2e%2e%2fstore.sqlite",
        "/v1/versions/sha256/" + hex + "%00",
        "/v1/index/../../store.sqlite",
        "/v1/blobs/sha256/" + String(repeating: "a", count: 600),
        "/v1/blobs/sha256/\\..\\..\\store.sqlite",
    ])
    func refusesBadPaths(_ path: String) throws {
        let served = try ServedRegistry()
        let connection = try RawConnection(port: served.port)
        connection.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        let (data, _) = connection.readToEnd()
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 400 "))
        #expect(text.contains("\"code\":\"remote.bad_request\""))
        #expect(!text.contains("SQLite format"))
        #expect(!text.lowercased().contains("<html"))
    }

    @Test("a file planted beside the store is never served")
    func nothingOutsideTheStoreIsRead() throws {
        let served = try ServedRegistry()
        let secret = served.directory.deletingLastPathComponent().appendingPathComponent("secret")
        try Data("TOP-SECRET-CONTENT".utf8).write(to: secret)
        for path in ["/v1/blobs/sha256/../../../secret", "/v1/blobs/sha256/%2e%2e/secret",
                     "/v1/blobs/../secret", "/secret", "/v1/../secret"] {
            let connection = try RawConnection(port: served.port)
            connection.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            let text = String(decoding: connection.readToEnd().data, as: UTF8.self)
            #expect(!text.contains("TOP-SECRET"))
            #expect(text.hasPrefix("HTTP/1.1 400 ") || text.hasPrefix("HTTP/1.1 404 "))
        }
    }

    @Test("a wrong method is 405 with Allow, an unknown path 404, both as JSON")
    func wrongMethodAndUnknownPath() async throws {
        let served = try ServedRegistry()
        let post = try await served.request("/v1/index", method: "POST", body: Data())
        #expect(post.status == 405)
        #expect(post.headers["allow"] == "GET, HEAD")
        #expect(post.errorCode == "remote.method_not_allowed")
        let get = try await served.request("/v1/publish")
        #expect(get.status == 405)
        #expect(get.headers["allow"] == "POST")
        let unknown = try await served.request("/v2/index")
        #expect(unknown.status == 404)
        #expect(unknown.errorCode == "remote.not_found")
    }
}
