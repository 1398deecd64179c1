import FaceletHTTP
import Foundation

extension RuntimeServer {
    /// Where the server listens: a numeric IPv4 or IPv6 address (or `localhost`, meaning
    /// 127.0.0.1) and a port (0 asks the system for a free one; `RuntimeServer.port` tells
    /// which).
    public struct Listen: Sendable, Equatable, CustomStringConvertible {
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
        /// - Throws: `ServiceError` `.badAddress`.
        public init(parsing text: String) throws(ServiceError) {
            do {
                let parsed = try HTTPListenAddress(parsing: text)
                self.init(host: parsed.host, port: parsed.port)
            } catch {
                throw ServiceError(error)
            }
        }

        /// `host:port` (`[host]:port` for IPv6).
        public var description: String {
            host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }

    /// What one server accepts.
    public struct Limits: Sendable, Equatable {
        /// The largest request body (a photo upload); larger ones get 413.
        public var maximumUploadBytes: Int
        /// The most connections open at once; more are refused by the daemon.
        public var maximumConnections: Int
        /// Seconds a connection may stay idle (including mid-upload) before it is closed.
        public var connectionTimeoutSeconds: Int
        /// The most edits or renders computed at once; the rest wait their turn.
        public var concurrentEdits: Int
        /// JPEG quality of JPEG responses (1…100).
        public var jpegQuality: Int

        /// Limits: 16 MiB uploads, 64 connections, 30 s idle timeout, one edit per processor,
        /// JPEG quality 92.
        public init(maximumUploadBytes: Int = 16 << 20, maximumConnections: Int = 64,
                    connectionTimeoutSeconds: Int = 30,
                    concurrentEdits: Int = ProcessInfo.processInfo.activeProcessorCount,
                    jpegQuality: Int = 92) {
            precondition(maximumUploadBytes > 0 && maximumConnections > 0
                             && connectionTimeoutSeconds > 0 && concurrentEdits > 0,
                         "server limits must be positive")
            precondition((1...100).contains(jpegQuality), "JPEG quality is 1...100")
            self.maximumUploadBytes = maximumUploadBytes
            self.maximumConnections = maximumConnections
            self.connectionTimeoutSeconds = connectionTimeoutSeconds
            self.concurrentEdits = concurrentEdits
            self.jpegQuality = jpegQuality
        }
    }
}
