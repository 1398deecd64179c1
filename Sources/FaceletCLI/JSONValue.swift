import Foundation

/// A JSON value for `--json` output, built explicitly so the printed shape is exactly what
/// docs/cli.md documents. Printed with sorted keys on one line.
public enum JSONValue: Sendable, Equatable, Codable {
    /// A string.
    case string(String)
    /// A number (always finite; non-finite values print as `null`).
    case number(Double)
    /// A whole number.
    case integer(Int)
    /// true or false.
    case bool(Bool)
    /// null.
    case null
    /// A list.
    case array([JSONValue])
    /// An object.
    case object([String: JSONValue])

    /// Decodes any JSON value (whole numbers become `.integer`).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Encodes the value.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let text): try container.encode(text)
        case .number(let value):
            if value.isFinite { try container.encode(value) } else { try container.encodeNil() }
        case .integer(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .null: try container.encodeNil()
        case .array(let values): try container.encode(values)
        case .object(let members): try container.encode(members)
        }
    }

    /// The value as compact JSON text with sorted keys and unescaped slashes.
    public var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self), let text = String(data: data, encoding: .utf8)
        else {
            // Encoding a tree of plain values cannot fail; keep the output well-formed anyway.
            return "null"
        }
        return text
    }
}

// Only collection literals: scalar literal conformances would make every literal in the
// large `--json` objects ambiguous and the type checker slow.
extension JSONValue: ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    /// An array literal.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// A dictionary literal.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

extension JSONValue {
    /// A string, or null for `nil`.
    static func optional(_ text: String?) -> JSONValue {
        text.map(JSONValue.string) ?? .null
    }

    /// A list of strings.
    static func strings(_ list: [String]) -> JSONValue {
        .array(list.map { .string($0) })
    }

    /// A string-to-string map as an object.
    static func strings(_ map: [String: String]) -> JSONValue {
        .object(map.mapValues(JSONValue.string))
    }
}
