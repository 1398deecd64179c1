import Foundation

/// Decodes the safetensors header JSON into typed entries (Foundation does the parsing).
enum HeaderParser {
    /// One tensor entry of the header, before its values are checked.
    struct Entry {
        let name: String
        let dtype: String
        let shape: [Int]
        let offsets: [Int]
    }

    /// The header's metadata object and tensor entries.
    struct Header {
        let metadata: [String: String]?
        let entries: [Entry]
    }

    static func parse(_ header: Data) throws(PackageError) -> Header {
        guard String(data: header, encoding: .utf8) != nil else {
            throw PackageError(.badJSON, "the header is not valid UTF-8")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: header)
        } catch {
            throw PackageError(.badJSON, "the header is not valid JSON: \(error)")
        }
        guard object is [String: Any] else {
            throw PackageError(.badJSON, "the header is JSON but not an object")
        }
        try refuseWhatFoundationAllows(header)

        let raw: RawHeader
        do {
            raw = try JSONDecoder().decode(RawHeader.self, from: header)
        } catch let error as DecodingError {
            throw PackageError(.badHeader,
                               "a header entry does not match {\"dtype\", \"shape\","
                               + " \"data_offsets\"}: " + DecodingProblem.describe(error))
        } catch {
            throw PackageError(.badHeader, "the header cannot be decoded: \(error)")
        }
        return Header(metadata: raw.metadata, entries: raw.entries)
    }

    /// Foundation's parser keeps one of two equal keys silently and accepts trailing commas,
    /// which safetensors refuses; a small scanner over the (already parsed) JSON text catches
    /// both. It only tracks strings, nesting depth and commas; it parses nothing else.
    private static func refuseWhatFoundationAllows(_ header: Data) throws(PackageError) {
        let scan = Scan(Array(header))
        guard !scan.trailingComma else {
            throw PackageError(.badJSON, "the header has a trailing comma, which JSON forbids")
        }
        var seen = Set<String>()
        for rawKey in scan.topLevelKeys {
            let key: String
            if rawKey.contains(UInt8(ascii: "\\")) {
                let decoded = try? JSONSerialization.jsonObject(
                    with: Data(rawKey), options: .fragmentsAllowed) as? String
                key = decoded ?? String(decoding: rawKey, as: UTF8.self)
            } else {
                key = String(decoding: rawKey.dropFirst().dropLast(), as: UTF8.self)
            }
            guard seen.insert(key).inserted else {
                throw PackageError(.duplicateName,
                                   "the header names \"\(key.prefix(80))\" twice; every tensor"
                                   + " name must be unique",
                                   context: ["tensor.name": String(key.prefix(80))])
            }
        }
    }

    /// The structure of valid JSON text that Foundation does not report.
    struct Scan {
        /// The quoted key tokens (quotes included) of the outermost object.
        var topLevelKeys: [ArraySlice<UInt8>] = []
        /// Whether a `,` is followed by `}` or `]`.
        var trailingComma = false

        init(_ bytes: [UInt8]) {
            var depth = 0
            var expectingKey = false
            var afterComma = false
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    let start = index
                    index += 1
                    while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                        index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                    }
                    if depth == 1, expectingKey, index < bytes.count {
                        topLevelKeys.append(bytes[start...index])
                    }
                    expectingKey = false
                    afterComma = false
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                    expectingKey = depth == 1 && byte == UInt8(ascii: "{")
                    afterComma = false
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    trailingComma = trailingComma || afterComma
                    afterComma = false
                case UInt8(ascii: ","):
                    expectingKey = depth == 1
                    afterComma = true
                case 0x20, 0x09, 0x0a, 0x0d:
                    break
                default:
                    afterComma = false
                }
                index += 1
            }
        }
    }
}

/// The header as JSONDecoder sees it: `__metadata__` plus one entry per other key.
private struct RawHeader: Decodable {
    var metadata: [String: String]?
    var entries: [HeaderParser.Entry] = []

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    struct RawEntry: Decodable {
        var dtype: String
        var shape: [Int]
        var dataOffsets: [Int]

        enum CodingKeys: String, CodingKey {
            case dtype, shape
            case dataOffsets = "data_offsets"
        }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        for key in container.allKeys {
            if key.stringValue == "__metadata__" {
                metadata = try container.decode([String: String].self, forKey: key)
            } else {
                let raw = try container.decode(RawEntry.self, forKey: key)
                entries.append(HeaderParser.Entry(name: key.stringValue, dtype: raw.dtype,
                                                  shape: raw.shape, offsets: raw.dataOffsets))
            }
        }
    }
}
