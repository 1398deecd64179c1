import FaceletHTTP
import Testing

@Suite("byte ranges")
struct ByteRangeTests {
    @Test("Range headers resolve against a 100-byte body", arguments: [
        (nil, HTTPByteRange.whole),
        ("bytes=0-", .partial(first: 0, last: 99)),
        ("bytes=10-", .partial(first: 10, last: 99)),
        ("bytes=10-19", .partial(first: 10, last: 19)),
        ("bytes=10-500", .partial(first: 10, last: 99)),
        ("bytes=99-99", .partial(first: 99, last: 99)),
        ("bytes=-30", .partial(first: 70, last: 99)),
        ("bytes=-300", .partial(first: 0, last: 99)),
        ("bytes=100-", .unsatisfiable),
        ("bytes=150-160", .unsatisfiable),
        ("bytes=-0", .unsatisfiable),
        ("bytes=20-10", .whole),
        ("bytes=0-1,5-6", .whole),
        ("bytes=abc-", .whole),
        ("items=0-5", .whole),
        ("bytes=", .whole),
        ("bytes=99999999999999999999999-", .whole),
    ] as [(String?, HTTPByteRange)])
    func resolves(_ header: String?, _ expected: HTTPByteRange) {
        #expect(HTTPByteRange(header: header, size: 100) == expected)
    }

    @Test("an empty body satisfies no range")
    func emptyBody() {
        #expect(HTTPByteRange(header: "bytes=0-", size: 0) == .unsatisfiable)
        #expect(HTTPByteRange(header: "bytes=-5", size: 0) == .unsatisfiable)
    }
}
