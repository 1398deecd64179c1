import FaceletPackage

/// The endpoints of docs/remote.md, told from a request's method and raw path.
///
/// The path arrives with its percent escapes undecoded (`keepsPercentEscapes`), and is checked
/// whole before any part of it is used: printable ASCII only, no `%`, `\`, `.` or `..`
/// segments, at most `maximumPathBytes`; a digest is exactly 64 lowercase hex digits. Nothing
/// from the path reaches the file system except a parsed `Digest`.
enum RegistryRoute: Equatable, Sendable {
    case healthz
    case index
    case version(Digest)
    case blob(Digest)
    case publish
    case watch

    /// The longest path looked at.
    static let maximumPathBytes = 512

    /// Why a request matches no route.
    struct Refusal: Error, Equatable {
        let status: Int
        let code: String
        let message: String
        /// For 405: the methods the path allows.
        var allow: String?
    }

    /// The route a request names, or why it names none.
    static func match(method: String, path: String) -> Result<RegistryRoute, Refusal> {
        let badRequest = { (message: String) in
            Result<RegistryRoute, Refusal>.failure(
                Refusal(status: 400, code: RegistryErrorCode.badRequest, message: message))
        }
        guard path.utf8.count <= maximumPathBytes else {
            return badRequest("the path is longer than \(maximumPathBytes) bytes")
        }
        let unsafe = path.utf8.contains { $0 <= 0x20 || $0 >= 0x7f || $0 == 0x25 || $0 == 0x5c }
        guard path.hasPrefix("/"), !unsafe else {
            return badRequest("the path holds characters no registry path has (percent"
                                  + " escapes, backslashes, spaces or control characters)")
        }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard !segments.contains(where: { $0 == "." || $0 == ".." }) else {
            return badRequest("the path holds a '.' or '..' segment")
        }
        let route: RegistryRoute
        switch Array(segments) {
        case ["healthz"]:
            route = .healthz
        case ["v1", "index"]:
            route = .index
        case ["v1", "publish"]:
            route = .publish
        case ["v1", "watch"]:
            route = .watch
        case let parts where parts.count >= 2 && parts[0] == "v1"
            && (parts[1] == "versions" || parts[1] == "blobs"):
            guard parts.count == 4, parts[2] == "sha256", let digest = digest(parts[3]) else {
                return badRequest("a \(parts[1]) path is /v1/\(parts[1])/sha256/<64 lowercase"
                                      + " hex digits>")
            }
            route = parts[1] == "versions" ? .version(digest) : .blob(digest)
        default:
            return .failure(Refusal(status: 404, code: RegistryErrorCode.notFound,
                                    message: "no endpoint \(path.prefix(100)); see"
                                        + " docs/remote.md for the registry's paths"))
        }
        let allowed = route == .publish ? ["POST"] : ["GET", "HEAD"]
        guard allowed.contains(method) else {
            return .failure(Refusal(status: 405, code: RegistryErrorCode.methodNotAllowed,
                                    message: "\(path) takes \(allowed.joined(separator: " or "))"
                                        + ", not \(method.prefix(20))",
                                    allow: allowed.joined(separator: ", ")))
        }
        return .success(route)
    }

    /// A digest from exactly 64 lowercase hex digits.
    private static func digest(_ hex: Substring) -> Digest? {
        guard hex.utf8.count == 64,
              hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
        else { return nil }
        return try? Digest(parsing: "sha256:" + hex)
    }

    /// The label of the route in log lines.
    var label: String {
        switch self {
        case .healthz: "healthz"
        case .index: "index"
        case .version: "version"
        case .blob: "blob"
        case .publish: "publish"
        case .watch: "watch"
        }
    }
}
