/// Where a server listens: a numeric IPv4 or IPv6 address (or `localhost`, meaning 127.0.0.1)
/// and a port (0 asks the system for a free one; the server's `start()` says which).
public struct HTTPListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// The numeric host address.
    public var host: String
    /// The TCP port; 0 for any free port.
    public var port: UInt16

    /// A listen address; loopback on a free port by default.
    public init(host: String = "127.0.0.1", port: UInt16 = 0) {
        self.host = host == "localhost" ? "127.0.0.1" : host
        self.port = port
    }

    /// Parses `host:port`, `[v6]:port` or `:port` (loopback).
    /// - Throws: `HTTPServerError` `.badAddress`.
    public init(parsing text: String) throws(HTTPServerError) {
        let bad = HTTPServerError(.badAddress,
                                  "listen address '\(text.prefix(80))' is not host:port; write"
                                      + " for example 127.0.0.1:8080",
                                  context: ["listen": String(text.prefix(80))])
        guard let colon = text.lastIndex(of: ":"),
              let port = UInt16(text[text.index(after: colon)...]) else { throw bad }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        }
        self.init(host: host.isEmpty ? "127.0.0.1" : host, port: port)
    }

    /// `host:port` (`[host]:port` for IPv6).
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
