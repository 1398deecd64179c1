import Foundation

/// Where a registry is: an HTTP(S) server (or a static mirror behind one), or a mirror folder
/// on this machine (`file:///abs/dir`).
public enum RemoteLocation: Sendable, Equatable, CustomStringConvertible {
    /// A base URL ending in `/`; the API's paths (`v1/index`, …) are appended to it.
    case http(base: String)
    /// The absolute path of a folder holding a static mirror (`mirror DIR`).
    case directory(path: String)

    /// Parses a remote URL: `http://host[:port][/path]`, `https://…` or `file:///abs/dir`.
    ///
    /// Refuses other schemes, URLs with a user name or password (tokens belong in the
    /// environment, `token_env`), queries and fragments, so the URL is safe to print.
    /// - Throws: `RemoteError` `.badRemote`.
    public init(parsing text: String) throws(RemoteError) {
        func bad(_ why: String, shown: String? = nil) -> RemoteError {
            RemoteError(.badRemote,
                        "remote '\(shown ?? Self.printable(text))' \(why); use "
                            + "http://HOST[:PORT][/PATH], https://… or file:///ABSOLUTE/DIR, "
                            + "or a name from registry.json's remotes")
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme
        else {
            throw bad("is not a URL")
        }
        guard components.user == nil, components.password == nil else {
            // The URL is not repeated: it holds a secret.
            throw bad("carries credentials; put the token in the environment variable named "
                          + "by the remote's token_env (default FACELET_TOKEN) instead",
                      shown: "\(scheme)://…@\(components.host ?? "")")
        }
        guard components.query == nil, components.fragment == nil else {
            // Not repeated past the path either: a query is where tokens often hide.
            var shown = components
            shown.query = nil
            shown.fragment = nil
            throw bad("has a query or fragment (not shown); tokens belong in the environment "
                          + "variable named by the remote's token_env",
                      shown: Self.printable((shown.string ?? scheme + "://…") + "?…"))
        }
        switch scheme.lowercased() {
        case "http", "https":
            guard let host = components.host, !host.isEmpty else { throw bad("names no host") }
            var base = text
            while base.hasSuffix("/") { base.removeLast() }
            self = .http(base: base + "/")
        case "file":
            guard components.host == nil || components.host == "" || components.host == "localhost"
            else {
                throw bad("names a host; a mirror folder is file:///ABSOLUTE/DIR")
            }
            let path = components.path
            guard path.hasPrefix("/"), !path.contains("\u{0}") else {
                throw bad("needs an absolute folder path")
            }
            self = .directory(path: URL(fileURLWithPath: path).standardizedFileURL.path)
        default:
            throw bad("has an unsupported scheme")
        }
    }

    /// The URL of `relative` (an API path such as `v1/index`) at this location.
    public func url(_ relative: String) -> String {
        switch self {
        case .http(let base): base + relative
        case .directory(let path): "file://" + path + "/" + relative
        }
    }

    /// The location as a URL, safe to print (it never holds credentials).
    public var description: String {
        switch self {
        case .http(let base): String(base.dropLast())
        case .directory(let path): "file://" + path
        }
    }

    /// At most 200 characters of `text` without control characters, for messages.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(200).map {
            $0.value < 0x20 || $0.value == 0x7f ? "?" : $0
        }))
    }
}
