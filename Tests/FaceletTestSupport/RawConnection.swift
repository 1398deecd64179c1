import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Test support shared by the HTTP and registry server tests.
///
/// A raw TCP connection to 127.0.0.1, for requests URLSession would not send (malformed,
/// stalled, lying about their length).
public final class RawConnection {
    private let descriptor: Int32

    /// Connects; reads give up after `readTimeout` seconds.
    public init(port: UInt16, readTimeout: Int = 20) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw RawError.connect }
        var timeout = timeval(tv_sec: readTimeout, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout,
                   socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(descriptor)
            throw RawError.connect
        }
    }

    deinit { close(descriptor) }

    enum RawError: Error { case connect }

    /// Sends bytes; false when the peer has gone.
    @discardableResult
    public func send(_ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let sent = Glibc.send(descriptor, raw.baseAddress! + offset, raw.count - offset,
                                      Int32(MSG_NOSIGNAL))
                if sent <= 0 { return false }
                offset += sent
            }
            return true
        }
    }

    @discardableResult
    public func send(_ text: String) -> Bool { send(Data(text.utf8)) }

    /// Reads until the peer closes, `limit` bytes arrive, or the read times out.
    public func readToEnd(limit: Int = 1 << 20) -> (data: Data, closed: Bool) {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while data.count < limit {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count == 0 { return (data, true) }
            if count < 0 { return (data, errno == ECONNRESET) }
            data.append(buffer, count: count)
        }
        return (data, false)
    }

    /// Reads until the end of a response head; its status code (nil if none came).
    public func readStatus() -> (status: Int?, head: String) {
        var data = Data()
        var byte: UInt8 = 0
        while data.count < 65536, recv(descriptor, &byte, 1, 0) == 1 {
            data.append(byte)
            if data.suffix(4) == Data("\r\n\r\n".utf8) { break }
        }
        let head = String(decoding: data, as: UTF8.self)
        let fields = head.split(separator: " ", maxSplits: 2)
        let status = fields.count >= 2 && fields[0].hasPrefix("HTTP/") ? Int(fields[1]) : nil
        return (status, head)
    }
}

extension RawConnection {
    /// Sends `request` and reads until the server closes: status, head and body.
    public func exchange(_ request: String) -> (status: Int?, head: String, body: Data) {
        send(request)
        let data = readToEnd().data
        let separator = Data("\r\n\r\n".utf8)
        guard let end = data.range(of: separator) else {
            return (nil, String(decoding: data, as: UTF8.self), Data())
        }
        let head = String(decoding: data[..<end.lowerBound], as: UTF8.self)
        let fields = head.split(separator: " ", maxSplits: 2)
        let status = fields.count >= 2 ? Int(fields[1]) : nil
        return (status, head, Data(data[end.upperBound...]))
    }
}

/// Polls `condition` every 0.1 s, at most 100 times; whether it became true.
public func waitUntil(_ condition: () throws -> Bool) rethrows -> Bool {
    for _ in 0..<100 {
        if try condition() { return true }
        usleep(100_000)
    }
    return try condition()
}
