import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal blocking HTTP/1.1 client for the service's tests and load test: one request per
/// connection (`Connection: close`), IPv4 only.
public struct LoopbackClient: Sendable {
    /// The server's IPv4 address.
    public let host: String
    /// The server's port.
    public let port: UInt16
    /// Seconds a send or receive may block before the request fails.
    public let timeoutSeconds: Int

    /// A response: status, headers (names lowercased) and body.
    public struct Response: Sendable {
        /// The status code.
        public let status: Int
        /// The headers, names lowercased.
        public let headers: [String: String]
        /// The body.
        public let body: Data
    }

    /// Why a request got no response.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// What went wrong.
        public let description: String
    }

    /// A client of `host:port`.
    public init(host: String = "127.0.0.1", port: UInt16, timeoutSeconds: Int = 30) {
        self.host = host
        self.port = port
        self.timeoutSeconds = timeoutSeconds
    }

    /// Sends one request and reads the whole response.
    ///
    /// - Parameter expectContinue: send `Expect: 100-continue` and the body only after the
    ///   server's `100 Continue` (a server refusing the upload answers without reading it).
    public func send(_ method: String, _ path: String, body: Data = Data(),
                     headers: [(String, String)] = [],
                     expectContinue: Bool = false) throws(Failure) -> Response {
        let socket = try connect()
        defer { close(socket) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\n"
        head += "Content-Length: \(body.count)\r\n"
        if expectContinue { head += "Expect: 100-continue\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        var received = Data()
        if expectContinue {
            try write(socket, Data(head.utf8))
            let interim = try readHead(socket, into: &received)
            guard interim.status == 100 else { return try readRest(socket, received) }
            received.removeSubrange(..<interim.length)
            try write(socket, body)
        } else {
            try write(socket, Data(head.utf8) + body)
        }
        return try readRest(socket, received)
    }

    // MARK: - Steps

    private func connect() throws(Failure) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errorText())") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        let size = socklen_t(MemoryLayout<timeval>.size)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, size)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, size)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(fd)
            throw Failure(description: "'\(host)' is not an IPv4 address")
        }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let text = errorText()
            close(fd)
            throw Failure(description: "connect to \(host):\(port): \(text)")
        }
        return fd
    }

    private func write(_ fd: Int32, _ data: Data) throws(Failure) {
        var offset = 0
        while offset < data.count {
            let sent = data.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { throw Failure(description: "send: \(errorText())") }
            offset += sent
        }
    }

    /// Reads until the end of a response head; returns its status and length in `buffer`.
    private func readHead(_ fd: Int32, into buffer: inout Data)
        throws(Failure) -> (status: Int, length: Int) {
        let separator = Data("\r\n\r\n".utf8)
        while true {
            if let range = buffer.range(of: separator) {
                return (try status(of: buffer[..<range.lowerBound]), range.upperBound)
            }
            guard try readSome(fd, into: &buffer) else {
                throw Failure(description: "the connection closed before a response")
            }
        }
    }

    /// Reads to the end of the stream and parses the response.
    private func readRest(_ fd: Int32, _ start: Data) throws(Failure) -> Response {
        var buffer = start
        while try readSome(fd, into: &buffer) {}
        guard let range = buffer.range(of: Data("\r\n\r\n".utf8)) else {
            throw Failure(description: "incomplete response head (\(buffer.count) bytes)")
        }
        let head = String(decoding: buffer[..<range.lowerBound], as: UTF8.self)
        var headers: [String: String] = [:]
        for line in head.components(separatedBy: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] =
                line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Data(buffer[range.upperBound...])
        if let length = headers["content-length"].flatMap(Int.init) {
            guard body.count >= length else {
                throw Failure(description: "body cut short: \(body.count) of \(length) bytes")
            }
            body = body.prefix(length)
        }
        return Response(status: try status(of: buffer[..<range.lowerBound]), headers: headers,
                        body: body)
    }

    /// Appends what is available; false at the end of the stream.
    private func readSome(_ fd: Int32, into buffer: inout Data) throws(Failure) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { throw Failure(description: "recv: \(errorText())") }
        buffer.append(contentsOf: chunk[0..<count])
        return count > 0
    }

    private func status(of head: Data) throws(Failure) -> Int {
        let line = String(decoding: head.prefix(64), as: UTF8.self)
        let parts = line.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let code = Int(parts[1]) else {
            throw Failure(description: "not an HTTP response: \(line.prefix(40))")
        }
        return code
    }

    private func errorText() -> String {
        String(cString: strerror(errno))
    }
}
