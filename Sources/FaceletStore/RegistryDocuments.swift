import FaceletPackage
import Foundation

// The documents of the remote-registry read API (docs/remote.md, "HTTP API"). The server and
// `mirror` encode them from a store; the client decodes them. One definition serves both, so
// the two sides cannot drift apart.

/// `GET /v1/index`: every package with its tags and versions.
public struct RegistryIndex: Codable, Sendable, Equatable {
    /// The format tag every index carries.
    public static let currentFormat = "facelet-index/1"

    /// `facelet-index/1`.
    public var format: String
    /// The store's change counter when the index was made.
    public var changeCounter: Int64
    /// Packages sorted by name.
    public var packages: [Entry]

    public init(changeCounter: Int64, packages: [Entry]) {
        self.format = RegistryIndex.currentFormat
        self.changeCounter = changeCounter
        self.packages = packages
    }

    /// One package name.
    public struct Entry: Codable, Sendable, Equatable {
        /// The package name.
        public var name: String
        /// Backbone or bank.
        public var kind: PackageKind
        /// Tag name → version.
        public var tags: [String: String]
        /// Versions in natural version order.
        public var versions: [Version]

        public init(name: String, kind: PackageKind, tags: [String: String],
                    versions: [Version]) {
            self.name = name
            self.kind = kind
            self.tags = tags
            self.versions = versions
        }
    }

    /// One version of a package.
    public struct Version: Codable, Sendable, Equatable {
        /// The version string.
        public var version: String
        /// The content digest.
        public var digest: Digest
        /// The backbone a bank is bound to; nil for a backbone.
        public var backbone: Digest?
        /// The sum of the tensor bytes.
        public var byteSize: Int64
        /// When it was published, ISO 8601 in UTC (`2026-12-03T20:00:00Z`).
        public var createdAt: String
        /// The version document's path relative to the registry's base URL
        /// (`v1/versions/sha256/<hex>`).
        public var document: String

        public init(version: String, digest: Digest, backbone: Digest?, byteSize: Int64,
                    createdAt: String) {
            self.version = version
            self.digest = digest
            self.backbone = backbone
            self.byteSize = byteSize
            self.createdAt = createdAt
            self.document = RegistryPaths.versionDocument(digest)
        }

        enum CodingKeys: String, CodingKey {
            case version, digest, backbone, document
            case byteSize = "byte_size"
            case createdAt = "created_at"
        }

        // `backbone` is written as null for a backbone rather than left out.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(version, forKey: .version)
            try container.encode(digest, forKey: .digest)
            try container.encode(backbone, forKey: .backbone)
            try container.encode(byteSize, forKey: .byteSize)
            try container.encode(createdAt, forKey: .createdAt)
            try container.encode(document, forKey: .document)
        }
    }

    enum CodingKeys: String, CodingKey {
        case format, packages
        case changeCounter = "change_counter"
    }
}

/// `GET /v1/versions/sha256/<hex>`: everything needed to rebuild one version locally.
public struct VersionDocument: Codable, Sendable, Equatable {
    /// The format tag every version document carries.
    public static let currentFormat = "facelet-version/1"

    /// `facelet-version/1`.
    public var format: String
    /// The package name.
    public var name: String
    /// The version string.
    public var version: String
    /// Backbone or bank.
    public var kind: PackageKind
    /// The content digest; the client recomputes it from `manifestJSON` and `tensors`.
    public var digest: Digest
    /// The backbone a bank is bound to; nil for a backbone.
    public var backbone: Digest?
    /// The canonical manifest text, exactly as stored.
    public var manifestJSON: String
    /// The tensors in the package, each a blob by digest.
    public var tensors: [Tensor]
    /// The heat-map thumbnails, each a blob by digest.
    public var thumbnails: [Thumbnail]
    /// Signatures over the content digest.
    public var signatures: [SignatureRecord]

    public init(name: String, version: String, kind: PackageKind, digest: Digest,
                backbone: Digest?, manifestJSON: String, tensors: [Tensor],
                thumbnails: [Thumbnail], signatures: [SignatureRecord]) {
        self.format = VersionDocument.currentFormat
        self.name = name
        self.version = version
        self.kind = kind
        self.digest = digest
        self.backbone = backbone
        self.manifestJSON = manifestJSON
        self.tensors = tensors
        self.thumbnails = thumbnails
        self.signatures = signatures
    }

    /// One tensor of the package.
    public struct Tensor: Codable, Sendable, Equatable {
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        /// The SHA-256 of the tensor's bytes, which is also its blob's address.
        public var digest: Digest
        public var byteSize: Int64

        public init(name: String, dtype: DType, shape: [Int], digest: Digest, byteSize: Int64) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.digest = digest
            self.byteSize = byteSize
        }

        enum CodingKeys: String, CodingKey {
            case name, dtype, shape, digest
            case byteSize = "byte_size"
        }
    }

    /// One heat-map thumbnail (a PNG blob).
    public struct Thumbnail: Codable, Sendable, Equatable {
        /// The reference photo's name.
        public var reference: String
        /// The feature level (`relu3_1`, …).
        public var level: String
        /// The SHA-256 of the PNG bytes, which is also its blob's address.
        public var digest: Digest
        /// The heat map's statistics as a JSON object.
        public var statsJSON: String

        public init(reference: String, level: String, digest: Digest, statsJSON: String) {
            self.reference = reference
            self.level = level
            self.digest = digest
            self.statsJSON = statsJSON
        }

        enum CodingKeys: String, CodingKey {
            case reference, level, digest
            case statsJSON = "stats_json"
        }
    }

    enum CodingKeys: String, CodingKey {
        case format, name, version, kind, digest, tensors, thumbnails, signatures
        case backbone
        case manifestJSON = "manifest_json"
    }

    // `backbone` is written as null for a backbone rather than left out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(format, forKey: .format)
        try container.encode(name, forKey: .name)
        try container.encode(version, forKey: .version)
        try container.encode(kind, forKey: .kind)
        try container.encode(digest, forKey: .digest)
        try container.encode(backbone, forKey: .backbone)
        try container.encode(manifestJSON, forKey: .manifestJSON)
        try container.encode(tensors, forKey: .tensors)
        try container.encode(thumbnails, forKey: .thumbnails)
        try container.encode(signatures, forKey: .signatures)
    }
}

/// The read API's paths, relative to a registry's base URL. A static mirror holds files at
/// exactly these paths.
public enum RegistryPaths {
    /// `v1/index`.
    public static let index = "v1/index"

    /// `v1/versions/sha256/<hex>`.
    public static func versionDocument(_ digest: Digest) -> String {
        "v1/versions/sha256/" + digest.hex
    }

    /// `v1/blobs/sha256/<hex>`.
    public static func blob(_ digest: Digest) -> String {
        "v1/blobs/sha256/" + digest.hex
    }
}

/// Encoding and decoding of registry documents: UTF-8 JSON with sorted keys and unescaped
/// slashes, the same bytes from the server and from a mirror.
public enum RegistryJSON {
    /// The JSON bytes of a document, with a trailing newline.
    public static func encode<T: Encodable>(_ value: T) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every document type here encodes only strings, integers, arrays and objects, which
        // cannot fail to encode.
        guard let data = try? encoder.encode(value) else {
            preconditionFailure("registry document \(T.self) failed to encode")
        }
        return data + Data("\n".utf8)
    }

    /// Decodes a document.
    /// - Throws: `DecodingError` with the offending key path when `data` is not a `T`.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try JSONDecoder().decode(type, from: data)
    }
}
