import Foundation

/// A single byte range asked for with `Range: bytes=…`, resolved against a body's size
/// (RFC 9110, section 14).
public enum HTTPByteRange: Sendable, Equatable {
    /// No usable range: send the whole body (no header, several ranges, or a malformed one,
    /// which RFC 9110 lets a server ignore).
    case whole
    /// Bytes `first...last` (inclusive) of the body.
    case partial(first: UInt64, last: UInt64)
    /// The range starts past the end: answer 416 with `Content-Range: bytes */SIZE`.
    case unsatisfiable

    /// Resolves the value of a `Range` header against a body of `size` bytes.
    ///
    /// Accepts `bytes=N-`, `bytes=N-M` and `bytes=-K` (the last K bytes); `M` past the end is
    /// cut to the end.
    public init(header: String?, size: UInt64) {
        guard let header else {
            self = .whole
            return
        }
        let text = header.trimmingSpaces
        guard text.hasPrefix("bytes="), !text.contains(",") else {
            self = .whole
            return
        }
        let spec = text.dropFirst("bytes=".count)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            self = .whole
            return
        }
        let start = HTTPByteRange.number(parts[0].trimmingSpaces)
        let end = HTTPByteRange.number(parts[1].trimmingSpaces)
        switch (parts[0].trimmingSpaces.isEmpty, parts[1].trimmingSpaces.isEmpty, start, end) {
        case (true, false, _, let suffix?):
            // The last `suffix` bytes.
            guard suffix > 0, size > 0 else {
                self = .unsatisfiable
                return
            }
            self = .partial(first: size - min(suffix, size), last: size - 1)
        case (false, true, let first?, _):
            self = first < size ? .partial(first: first, last: size - 1) : .unsatisfiable
        case (false, false, let first?, let last?):
            guard first <= last else {
                self = .whole
                return
            }
            self = first < size ? .partial(first: first, last: min(last, size - 1))
                : .unsatisfiable
        default:
            self = .whole
        }
    }

    /// Digits only, fitting in 64 bits.
    private static func number(_ text: String) -> UInt64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
        return UInt64(text)
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    fileprivate var trimmingSpaces: String {
        let characters = Array(self)
        var lower = 0
        var upper = characters.count
        while lower < upper, characters[lower] == " " || characters[lower] == "\t" { lower += 1 }
        while upper > lower, characters[upper - 1] == " " || characters[upper - 1] == "\t" {
            upper -= 1
        }
        return String(characters[lower..<upper])
    }
}

extension HTTPResponse {
    /// The response serving `file` for a request with `Range` header `range`: 200 with the
    /// whole file, 206 with `Content-Range` for a satisfiable single range, 416 with
    /// `Content-Range: bytes */SIZE` otherwise. `headers` are added to each (Content-Type,
    /// ETag); `Accept-Ranges: bytes` always is.
    public static func file(_ file: HTTPFile, range: String?,
                            headers: [(String, String)] = []) -> HTTPResponse {
        let size = file.size
        var lines = headers + [("Accept-Ranges", "bytes")]
        switch HTTPByteRange(header: range, size: size) {
        case .whole:
            return HTTPResponse(status: 200, headers: lines,
                                body: .file(file, offset: 0, length: size))
        case .partial(let first, let last):
            lines.append(("Content-Range", "bytes \(first)-\(last)/\(size)"))
            return HTTPResponse(status: 206, headers: lines,
                                body: .file(file, offset: first, length: last - first + 1))
        case .unsatisfiable:
            lines.append(("Content-Range", "bytes */\(size)"))
            return HTTPResponse(status: 416, headers: lines, data: Data())
        }
    }
}
