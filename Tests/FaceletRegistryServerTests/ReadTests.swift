import FaceletPackage
import FaceletRegistryServer
import FaceletStore
import FaceletTestSupport
import Foundation
import Testing

@Suite("registry reads")
struct ReadTests {
    @Test("the index lists the store's packages with their real digests and sizes")
    func indexMatchesStore() async throws {
        let served = try ServedRegistry()
        let reply = try await served.request("/v1/index")
        #expect(reply.status == 200)
        #expect(reply.headers["content-type"] == "application/json")
        let index = try RegistryJSON.decode(RegistryIndex.self, from: reply.body)
        #expect(index == (try served.store.registryIndex()))
        #expect(index.format == "facelet-index/1")
        #expect(index.changeCounter == (try served.store.changeCounter()))
        #expect(index.packages.map(\.name) == ["smile", "vgg19-tiny"])
        let smile = try #require(index.packages.first)
        #expect(smile.kind == .bank)
        #expect(smile.tags == ["latest": "1"])
        let version = try #require(smile.versions.first)
        #expect(version.digest == served.bank.package.contentDigest)
        #expect(version.backbone == served.backbone.package.contentDigest)
        let tensorBytes = served.bank.package.tensors.reduce(0) { $0 + $1.bytes.count }
        #expect(version.byteSize == Int64(tensorBytes))
        #expect(version.document == "v1/versions/sha256/" + version.digest.hex)
        #expect(index.packages[1].versions.first?.backbone == nil)
    }

    @Test("a version document carries the manifest and tensors and recomputes to its digest")
    func versionDocumentMatchesStore() async throws {
        let served = try ServedRegistry()
        let digest = served.bank.package.contentDigest
        let reply = try await served.request("/v1/versions/sha256/" + digest.hex)
        #expect(reply.status == 200)
        #expect(reply.headers["etag"] == "\"\(digest)\"")
        let document = try RegistryJSON.decode(VersionDocument.self, from: reply.body)
        #expect(document == (try served.store.versionDocument(digest: digest)))
        #expect((document.name, document.version, document.kind) == ("smile", "1", .bank))
        #expect(document.manifestJSON
                    == String(decoding: served.bank.package.manifest.canonicalJSON(),
                              as: UTF8.self))
        #expect(document.tensors.map(\.digest) == served.bank.package.tensors.map(\.sha256))
        let manifest = try Manifest.decode(Data(document.manifestJSON.utf8))
        let identities = document.tensors.map {
            TensorIdentity(name: $0.name, dtype: $0.dtype, shape: $0.shape, sha256: $0.digest)
        }
        #expect(ContentDigest.compute(manifest: manifest, identities: identities) == digest)

        let missing = try await served.request("/v1/versions/sha256/" + String(repeating: "ab",
                                                                                count: 32))
        #expect(missing.status == 404)
        #expect(missing.errorCode == "remote.not_found")
    }

    @Test("a blob is served whole from its file with ETag and Accept-Ranges")
    func blobBytesHashToTheirDigest() async throws {
        let served = try ServedRegistry()
        let tensor = try #require(served.backbone.package.tensors.max {
            $0.bytes.count < $1.bytes.count
        })
        let reply = try await served.request("/v1/blobs/sha256/" + tensor.sha256.hex)
        #expect(reply.status == 200)
        #expect(reply.body == tensor.bytes)
        #expect(Digest.sha256(reply.body) == tensor.sha256)
        #expect(reply.headers["content-type"] == "application/octet-stream")
        #expect(reply.headers["accept-ranges"] == "bytes")
        #expect(reply.headers["etag"] == "\"\(tensor.sha256)\"")
        #expect(reply.headers["content-length"] == String(tensor.bytes.count))
    }

    @Test("HEAD of a blob gives its length and ETag without the bytes")
    func blobHead() throws {
        let served = try ServedRegistry()
        let tensor = try #require(served.bank.package.tensors.first)
        let connection = try RawConnection(port: served.port)
        connection.send("HEAD /v1/blobs/sha256/\(tensor.sha256.hex) HTTP/1.1\r\n"
                            + "Host: 127.0.0.1\r\nConnection: close\r\n\r\n")
        let text = String(decoding: connection.readToEnd().data, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200 "))
        #expect(text.contains("Content-Length: \(tensor.bytes.count)\r\n"))
        #expect(text.contains("ETag: \"\(tensor.sha256)\"\r\n"))
        #expect(text.hasSuffix("\r\n\r\n"))
    }

    @Test("single byte ranges answer 206 with Content-Range; past the end answers 416")
    func blobRanges() async throws {
        let served = try ServedRegistry()
        let tensor = try #require(served.backbone.package.tensors.max {
            $0.bytes.count < $1.bytes.count
        })
        let path = "/v1/blobs/sha256/" + tensor.sha256.hex
        let size = tensor.bytes.count
        #expect(size > 200)

        let tail = try await served.request(path, headers: ["Range": "bytes=100-"])
        #expect(tail.status == 206)
        #expect(tail.body == tensor.bytes.subdata(in: 100..<size))
        #expect(tail.headers["content-range"] == "bytes 100-\(size - 1)/\(size)")

        let middle = try await served.request(path, headers: ["Range": "bytes=10-19"])
        #expect(middle.status == 206)
        #expect(middle.body == tensor.bytes.subdata(in: 10..<20))
        #expect(middle.headers["content-range"] == "bytes 10-19/\(size)")
        #expect(middle.headers["content-length"] == "10")

        let past = try await served.request(path, headers: ["Range": "bytes=\(size)-"])
        #expect(past.status == 416)
        #expect(past.headers["content-range"] == "bytes */\(size)")
        #expect(past.errorCode == "remote.range_not_satisfiable")
    }

    @Test("healthz answers ok")
    func healthz() async throws {
        let served = try ServedRegistry()
        let reply = try await served.request("/healthz")
        #expect(reply.status == 200)
        #expect(reply.json?["status"] as? String == "ok")
    }

    @Test("reads need the token with readsNeedToken, healthz does not")
    func readToken() async throws {
        let served = try ServedRegistry(readsNeedToken: true)
        let without = try await served.request("/v1/index")
        #expect(without.status == 401)
        #expect(without.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
        let wrong = try await served.request("/v1/index",
                                             headers: ["Authorization": "Bearer nope"])
        #expect(wrong.status == 401)
        let with = try await served.request("/v1/index",
                                            headers: ["Authorization": "Bearer s3cret-token"])
        #expect(with.status == 200)
        #expect(try await served.request("/healthz").status == 200)
    }

    @Test("each request is logged as one JSON line without the token")
    func logLines() async throws {
        let served = try ServedRegistry()
        _ = try await served.request("/v1/index")
        _ = try await served.publish(Data("junk".utf8), token: "wrong-token")
        let lines = served.logs.all
        #expect(lines.count == 2)
        let objects = lines.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(objects.count == 2)
        #expect(objects.first?["route"] as? String == "index")
        #expect(objects.first?["status"] as? Int == 200)
        #expect(objects.last?["status"] as? Int == 401)
        #expect(objects.last?["code"] as? String == "remote.unauthorized")
        #expect(!lines.joined().contains("s3cret") && !lines.joined().contains("wrong-token"))
    }
}
