import FaceletHTTP
import FaceletImaging
import FaceletRuntime
import Foundation

/// The service's endpoints (docs/runtime.md, "HTTP service"): each request becomes one
/// response; every response carries `Facelet-Effect-Digest`.
struct RuntimeRoutes: Sendable {
    let runtime: FaceletRuntime
    let limits: RuntimeServer.Limits
    let metrics: ServiceMetrics
    let computeSlots: DispatchSemaphore
    let connections: @Sendable () -> Int

    /// The endpoint label of a request (for metrics) and its response.
    func respond(to request: HTTPRequest) -> (endpoint: String, response: HTTPResponse) {
        let segments = request.segments
        switch (request.method, segments.count, segments.first) {
        case ("GET", 1, "healthz"):
            return ("healthz", healthz())
        case ("GET", 1, "metrics"):
            let text = metrics.render(runtime: runtime, connections: connections())
            return ("metrics", .text(200, text, contentType: "text/plain; version=0.0.4"))
        case ("GET", 2, "v1") where segments[1] == "effects":
            return ("effects", effects())
        case ("POST", 4, "v1") where segments[1] == "effects" && segments[3] == "edit":
            return ("edit", edit(String(segments[2]), request))
        case ("POST", 2, "v1") where segments[1] == "sessions":
            return ("session_open", openSession(request))
        case ("GET", 4, "v1"), ("POST", 4, "v1"):
            guard segments[1] == "sessions", segments[3] == "render" else { break }
            return ("session_render", render(String(segments[2]), request))
        case ("DELETE", 3, "v1") where segments[1] == "sessions":
            let closed = runtime.closeSession(String(segments[2]))
            return ("session_close", closed ? .json(200, ["closed": true])
                        : .error(404, code: RuntimeError.Code.unknownSession.rawValue,
                                 message: "no open session has that id"))
        default:
            break
        }
        return ("other", .error(404, code: "service.not_found",
                                message: "no endpoint \(request.method)"
                                    + " \(request.path.prefix(100));"
                                    + " see docs/runtime.md for the endpoints"))
    }

    // MARK: - Endpoints

    private func healthz() -> HTTPResponse {
        let snapshot = runtime.snapshot()
        return .json(200, ["status": "ok", "effects": snapshot.effects.count,
                           "generation": snapshot.generation,
                           "backbone": runtime.backbone.contentDigest.description])
    }

    private func effects() -> HTTPResponse {
        let snapshot = runtime.snapshot()
        let list: [[String: Any]] = snapshot.sorted.map { effect in
            ["name": effect.version.effect, "package": effect.version.package,
             "version": effect.version.version, "digest": effect.digest.description,
             "resident_bytes": effect.residentBytes, "levels": effect.bank.levels,
             "strength": ["default": effect.strength.default, "min": effect.strength.min,
                          "max": effect.strength.max],
             "guide": effect.bank.guide.map { ["radius": $0.radius, "epsilon": $0.epsilon] }
                 ?? NSNull(),
             "source": effect.source,
             "installed_at": ISO8601DateFormatter().string(from: effect.installedAt)]
        }
        return .json(200, ["generation": snapshot.generation, "effects": list,
                           "backbone": runtime.backbone.contentDigest.description])
    }

    private func edit(_ effect: String, _ request: HTTPRequest) -> HTTPResponse {
        do throws(RouteError) {
            let (strength, levels, format) = try parameters(request)
            let photo = try decodePhoto(request.body)
            let result = try computing { () throws(RuntimeError) in
                try runtime.edit(photo, effect: effect, strength: strength, levels: levels)
            }
            return try imageResponse(result, format: format, status: 200)
        } catch {
            return error.response
        }
    }

    private func openSession(_ request: HTTPRequest) -> HTTPResponse {
        do throws(RouteError) {
            guard let effect = request.query["effect"] else {
                throw RouteError(400, "service.missing_effect",
                                 "say which effect with ?effect=NAME")
            }
            let photo = try decodePhoto(request.body)
            let info = try computing { () throws(RuntimeError) in
                try runtime.openSession(photo, effect: effect)
            }
            var response = HTTPResponse.json(
                201, ["session": info.id, "effect": info.version.effect,
                      "version": info.version.version, "digest": info.version.digest.description,
                      "width": info.width, "height": info.height],
                digest: info.version.digest.description)
            response.headers.append(("Location", "/v1/sessions/\(info.id)"))
            return response
        } catch {
            return error.response
        }
    }

    private func render(_ id: String, _ request: HTTPRequest) -> HTTPResponse {
        do throws(RouteError) {
            let (strength, levels, format) = try parameters(request)
            let render = try computing { () throws(RuntimeError) in
                try runtime.renderSession(id, strength: strength, levels: levels)
            }
            var response = try imageResponse(render.result, format: format, status: 200)
            response.headers.append(("Facelet-Session-Prepared", render.prepared ? "1" : "0"))
            return response
        } catch {
            return error.response
        }
    }

    // MARK: - Steps

    private enum Format { case png, jpeg }

    /// `strength`, `levels` (comma-separated) and the output format (`format=png|jpeg`, else
    /// the Accept header, else PNG).
    private func parameters(_ request: HTTPRequest) throws(RouteError)
        -> (Double?, Set<String>?, Format) {
        var strength: Double?
        if let text = request.query["strength"] {
            guard let value = Double(text), value.isFinite else {
                throw RouteError(400, RuntimeError.Code.badStrength.rawValue,
                                 "strength must be a number such as 0.5")
            }
            strength = value
        }
        let levels = request.query["levels"].map {
            Set($0.split(separator: ",").map(String.init))
        }
        let format: Format
        switch request.query["format"]?.lowercased() {
        case "png": format = .png
        case "jpeg", "jpg": format = .jpeg
        case nil: format = (request.headers["accept"] ?? "").contains("image/jpeg") ? .jpeg : .png
        case let other?:
            throw RouteError(400, "service.bad_format",
                             "format '\(other.prefix(20))' is not png or jpeg")
        }
        return (strength, levels, format)
    }

    private func decodePhoto(_ body: Data) throws(RouteError) -> RGBImage {
        guard !body.isEmpty else {
            throw RouteError(400, "service.missing_photo",
                             "send the photo (PNG or JPEG bytes) as the request body")
        }
        do {
            return try ImageCodec.decode(
                body, limits: DecodeLimits(maxPixels: runtime.editor.maximumPixels))
        } catch {
            throw RouteError(error.code == .tooLarge ? 413 : 400, error.code.rawValue,
                             error.message)
        }
    }

    /// Runs `body` holding one of the compute slots, mapping runtime errors to responses.
    private func computing<T>(_ body: () throws(RuntimeError) -> T) throws(RouteError) -> T {
        computeSlots.wait()
        defer { computeSlots.signal() }
        do {
            return try body()
        } catch {
            throw RouteError(error)
        }
    }

    private func imageResponse(_ result: EditResult, format: Format,
                               status: Int) throws(RouteError) -> HTTPResponse {
        let data: Data
        let type: String
        do {
            switch format {
            case .png: (data, type) = (try ImageCodec.encodePNG(result.image), "image/png")
            case .jpeg:
                (data, type) = (try ImageCodec.encodeJPEG(result.image,
                                                          quality: limits.jpegQuality),
                                "image/jpeg")
            }
        } catch {
            throw RouteError(500, error.code.rawValue, error.message,
                             digest: result.version.digest.description)
        }
        let version = result.version
        return HTTPResponse(status: status, headers: [
            ("Content-Type", type),
            (HTTPResponse.digestHeader, version.digest.description),
            ("Facelet-Effect", version.effect),
            ("Facelet-Effect-Version", "\(version.package):\(version.version)"),
            ("Facelet-Strength", String(result.strength.applied)),
            ("Facelet-Strength-Clamped", result.strength.clamped ? "1" : "0"),
        ], body: data)
    }
}

/// A request that ends in an error response.
struct RouteError: Error {
    let status: Int
    let code: String
    let message: String
    let digest: String

    init(_ status: Int, _ code: String, _ message: String, digest: String = "none") {
        self.status = status
        self.code = code
        self.message = message
        self.digest = digest
    }

    /// The status a runtime error maps to.
    init(_ error: RuntimeError) {
        let status: Int = switch error.code {
        case .unknownEffect, .unknownSession: 404
        case .badStrength: 400
        case .badPhoto where error.context["cause.code"] == "model.image_too_large": 413
        case .badPhoto: 422
        default: 500
        }
        self.init(status, error.code.rawValue, error.message)
    }

    var response: HTTPResponse {
        .error(status, code: code, message: message, digest: digest)
    }
}
