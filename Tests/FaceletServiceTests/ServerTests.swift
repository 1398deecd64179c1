import FaceletImaging
import FaceletModel
import FaceletPackage
import FaceletRuntime
import FaceletService
import Foundation
import Testing

/// A runtime with bank `smile` (seed 10) on a narrow random backbone, served on 127.0.0.1 at
/// a free port.
struct ServedRuntime {
    let backbone: Backbone
    let bank: Package
    let runtime: FaceletRuntime
    let server: RuntimeServer
    let client: LoopbackClient

    init(limits: RuntimeServer.Limits = .init()) throws {
        let architecture = Architecture.vgg19(width: 1 / 16.0)
        backbone = try Backbone(package: try RandomWeights.backbone(
            architecture, seed: 1, biasScale: 0.05).package)
        bank = try RandomWeights.bank(for: backbone, seed: 10, scale: 1, name: "smile",
                                      version: "10").package
        runtime = FaceletRuntime(backbone: backbone)
        try runtime.install(bank)
        server = RuntimeServer(runtime: runtime, listen: .init(host: "127.0.0.1", port: 0),
                               limits: limits)
        let port = try server.start()
        client = LoopbackClient(port: port)
    }

    /// A PNG photo and the image it decodes to.
    static func photo(width: Int = 20, height: Int = 14) throws -> (Data, RGBImage) {
        var pixels = [Float](repeating: 0, count: 3 * width * height)
        for index in pixels.indices {
            pixels[index] = Float((index * 37) % 256) / 255
        }
        let png = try ImageCodec.encodePNG(RGBImage(width: width, height: height,
                                                    pixels: pixels))
        return (png, try ImageCodec.decode(png))
    }

    /// The PNG the service should send for `photo` edited with `bank` at `strength`.
    func expectedPNG(_ photo: RGBImage, bank: Package, strength: Double) throws -> Data {
        let model = try FaceletBank(package: bank, backbone: backbone)
        let image = try Editor(backbone: backbone).prepare(photo, bank: model)
            .render(strength: strength)
        return try ImageCodec.encodePNG(image)
    }
}

@Suite("HTTP service")
struct ServerTests {
    @Test("edit returns the edited PNG with the producing digest")
    func editReturnsImageAndDigest() throws {
        let served = try ServedRuntime()
        defer { served.server.stop() }
        let (png, photo) = try ServedRuntime.photo()

        let response = try served.client.send("POST", "/v1/effects/smile/edit?strength=0.5",
                                              body: png)
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "image/png")
        #expect(response.headers["facelet-effect-digest"]
                    == served.bank.contentDigest.description)
        #expect(response.headers["facelet-effect-version"] == "smile:10")
        #expect(response.headers["facelet-strength"] == "0.5")
        #expect(response.body == (try served.expectedPNG(photo, bank: served.bank,
                                                         strength: 0.5)))

        let jpeg = try served.client.send("POST", "/v1/effects/smile/edit?format=jpeg&strength=9",
                                          body: png)
        #expect(jpeg.status == 200 && jpeg.headers["content-type"] == "image/jpeg")
        #expect(jpeg.headers["facelet-strength"] == "2.0")
        #expect(jpeg.headers["facelet-strength-clamped"] == "1")
        let decoded = try ImageCodec.decode(jpeg.body)
        #expect((decoded.width, decoded.height) == (20, 14))
    }

    @Test("a session re-renders at other strengths and follows a swap")
    func sessionRendersAtOtherStrengths() throws {
        let served = try ServedRuntime()
        defer { served.server.stop() }
        let (png, photo) = try ServedRuntime.photo()

        let opened = try served.client.send("POST", "/v1/sessions?effect=smile", body: png)
        #expect(opened.status == 201)
        #expect(opened.headers["facelet-effect-digest"] == served.bank.contentDigest.description)
        let json = try #require(try JSONSerialization.jsonObject(with: opened.body)
                                    as? [String: Any])
        let id = try #require(json["session"] as? String)
        #expect(json["digest"] as? String == served.bank.contentDigest.description)

        for strength in [0.25, 1.5] {
            let render = try served.client.send("GET",
                                                "/v1/sessions/\(id)/render?strength=\(strength)")
            #expect(render.status == 200)
            #expect(render.headers["facelet-session-prepared"] == "0")
            #expect(render.body == (try served.expectedPNG(photo, bank: served.bank,
                                                           strength: strength)))
        }

        let newer = try RandomWeights.bank(for: served.backbone, seed: 11, scale: 1,
                                           name: "smile", version: "11").package
        try served.runtime.install(newer)
        let swapped = try served.client.send("GET", "/v1/sessions/\(id)/render?strength=1")
        #expect(swapped.headers["facelet-effect-digest"] == newer.contentDigest.description)
        #expect(swapped.headers["facelet-session-prepared"] == "1")
        #expect(swapped.body == (try served.expectedPNG(photo, bank: newer, strength: 1)))

        #expect(try served.client.send("DELETE", "/v1/sessions/\(id)").status == 200)
        let gone = try served.client.send("GET", "/v1/sessions/\(id)/render")
        #expect(gone.status == 404 && gone.headers["facelet-effect-digest"] == "none")
    }

    @Test("healthz, the effect list and metrics answer")
    func healthzEffectsAndMetrics() throws {
        let served = try ServedRuntime()
        defer { served.server.stop() }
        let (png, _) = try ServedRuntime.photo()
        #expect(try served.client.send("POST", "/v1/effects/smile/edit", body: png).status == 200)

        let health = try served.client.send("GET", "/healthz")
        #expect(health.status == 200 && health.headers["facelet-effect-digest"] == "none")
        let status = try JSONSerialization.jsonObject(with: health.body) as? [String: Any]
        #expect(status?["status"] as? String == "ok" && status?["effects"] as? Int == 1)

        let effects = try served.client.send("GET", "/v1/effects")
        #expect(effects.status == 200)
        let list = try #require(try JSONSerialization.jsonObject(with: effects.body)
                                    as? [String: Any])
        let first = try #require((list["effects"] as? [[String: Any]])?.first)
        #expect(first["digest"] as? String == served.bank.contentDigest.description)
        #expect(first["name"] as? String == "smile" && first["version"] as? String == "10")
        let bytes = try #require(served.runtime.effect(named: "smile")?.residentBytes)
        #expect(first["resident_bytes"] as? Int == bytes)
        #expect(first["guide"] is NSNull)  // the served bank asks for no guided change

        let metrics = try served.client.send("GET", "/metrics")
        #expect(metrics.status == 200)
        let text = String(decoding: metrics.body, as: UTF8.self)
        let lines = Set(text.split(separator: "\n").map(String.init))
        #expect(lines.contains("facelet_requests_total{endpoint=\"edit\",code=\"200\"} 1"))
        #expect(lines.contains("facelet_requests_total{endpoint=\"healthz\",code=\"200\"} 1"))
        #expect(lines.contains("facelet_request_duration_seconds_count{endpoint=\"edit\"} 1"))
        #expect(lines.contains("facelet_request_duration_seconds_bucket{endpoint=\"edit\","
                                   + "le=\"+Inf\"} 1"))
        #expect(lines.contains("facelet_swaps_total{kind=\"install\"} 1"))
        #expect(lines.contains("facelet_bank_resident_bytes{effect=\"smile\",version=\"10\","
                                   + "digest=\"\(served.bank.contentDigest)\"} \(bytes)"))
        #expect(lines.contains("# TYPE facelet_request_duration_seconds histogram"))
    }

    @Test("an upload over the cap is refused before its body is read")
    func oversizeUploadIsRefused() throws {
        let served = try ServedRuntime(limits: .init(maximumUploadBytes: 1000))
        defer { served.server.stop() }
        let response = try served.client.send("POST", "/v1/effects/smile/edit",
                                              body: Data(count: 5000), expectContinue: true)
        #expect(response.status == 413)
        #expect(response.headers["facelet-effect-digest"] == "none")
        let json = try JSONSerialization.jsonObject(with: response.body) as? [String: Any]
        #expect((json?["error"] as? [String: Any])?["code"] as? String
                    == "service.upload_too_large")
        // The server keeps serving.
        #expect(try served.client.send("GET", "/healthz").status == 200)
    }

    @Test("bad requests get an error status and the digest header", arguments: [
        ("POST", "/v1/effects/beard/edit", 404, "runtime.unknown_effect"),
        ("POST", "/v1/effects/smile/edit?strength=abc", 400, "runtime.bad_strength"),
        ("POST", "/v1/effects/smile/edit?format=gif", 400, "service.bad_format"),
        ("GET", "/v1/nothing", 404, "service.not_found"),
    ])
    func badRequestsAreRefused(_ method: String, _ path: String, _ status: Int,
                               _ code: String) throws {
        let served = try ServedRuntime()
        defer { served.server.stop() }
        let (png, _) = try ServedRuntime.photo()
        let response = try served.client.send(method, path, body: png)
        #expect(response.status == status)
        #expect(response.headers["facelet-effect-digest"] == "none")
        let json = try JSONSerialization.jsonObject(with: response.body) as? [String: Any]
        #expect((json?["error"] as? [String: Any])?["code"] as? String == code)
    }

    @Test("a body that is not a photo is refused")
    func notAPhotoIsRefused() throws {
        let served = try ServedRuntime()
        defer { served.server.stop() }
        let response = try served.client.send("POST", "/v1/effects/smile/edit",
                                              body: Data("hello".utf8))
        #expect(response.status == 400)
    }
}
