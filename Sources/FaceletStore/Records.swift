import FaceletPackage
import Foundation

/// A thumbnail to store with a version: the version applied to a reference photo.
public struct ThumbnailInput: Sendable, Equatable {
    /// The reference photo's name, e.g. `face01` (1–128 characters, no `/`, `\` or NUL).
    public var reference: String
    /// The level shown (`relu3_1`, … one of the manifest's levels) or `combined`.
    public var level: String
    /// The PNG file's bytes.
    public var png: Data
    /// Statistics of the edit as a JSON object (e.g. mean change per channel).
    public var statsJSON: String

    /// Makes a thumbnail input.
    public init(reference: String, level: String, png: Data, statsJSON: String) {
        self.reference = reference
        self.level = level
        self.png = png
        self.statsJSON = statsJSON
    }
}

/// What `Store.publish` did.
public struct PublishOutcome: Sendable, Equatable {
    /// `name:version` of the published version.
    public var reference: String
    /// Its content digest.
    public var digest: Digest
    /// True when exactly this content was already published under this name and version
    /// (nothing was changed).
    public var alreadyPresent: Bool
}

/// One package in `Store.list()`.
public struct PackageSummary: Sendable, Equatable {
    /// The package name.
    public var name: String
    /// Bank or backbone.
    public var kind: PackageKind
    /// Every version, in natural order (lowest first).
    public var versions: [String]
    /// The highest version (what `name` alone resolves to).
    public var latest: String
    /// Tag → version, including `latest`.
    public var tags: [String: String]
}

/// One stored version, as `Store.resolve` finds it.
public struct VersionRecord: Sendable, Equatable {
    /// The package name.
    public var name: String
    /// Bank or backbone.
    public var kind: PackageKind
    /// The version string.
    public var version: String
    /// The content digest.
    public var digest: Digest
    /// Banks: the content digest of the backbone they are bound to.
    public var backbone: Digest?
    /// Total bytes of the version's tensor data (before blobs are shared between versions).
    public var byteSize: Int64
    /// When it was published.
    public var created: Date

    /// `name:version`.
    public var reference: String { "\(name):\(version)" }
}

/// A stored tensor of a version: its metadata and the blob holding its bytes.
public struct StoredTensor: Sendable, Equatable {
    /// The tensor name.
    public var name: String
    /// The element type.
    public var dtype: DType
    /// The shape, row-major.
    public var shape: [Int]
    /// The SHA-256 of its bytes (the blob's name).
    public var digest: Digest
    /// The number of bytes.
    public var byteSize: Int64
}

/// A stored thumbnail of a version.
public struct ThumbnailRecord: Sendable, Equatable {
    /// The reference photo's name.
    public var reference: String
    /// The level shown, or `combined`.
    public var level: String
    /// The PNG blob's digest (read it with `Store.thumbnailData`).
    public var digest: Digest
    /// The statistics JSON given at publish time.
    public var statsJSON: String
}

/// Everything the store knows about one version (`Store.show`).
public struct VersionDetail: Sendable, Equatable {
    /// The version's record.
    public var record: VersionRecord
    /// The manifest.
    public var manifest: Manifest
    /// The tensors, sorted by name (byte order).
    public var tensors: [StoredTensor]
    /// The tags that point at this version, sorted (includes `latest` when it is the highest).
    public var tags: [String]
    /// The thumbnails, sorted by reference photo then level.
    public var thumbnails: [ThumbnailRecord]
}

/// How two versions' tensors differ (`Store.diff`). Every list is sorted.
public struct TensorDiff: Sendable, Equatable {
    /// In both, with different bytes, dtype or shape.
    public var changed: [String]
    /// Only in the second.
    public var added: [String]
    /// Only in the first.
    public var removed: [String]
    /// In both, identical.
    public var unchanged: [String]
}

/// A blob that is missing or does not hash to its name (`Store.verify`).
public struct DamagedBlob: Sendable, Equatable {
    /// The digest the blob should have (its file name).
    public var digest: Digest
    /// The blob's file path.
    public var path: String
    /// True if the file is absent; otherwise its content hashes to `actual`.
    public var missing: Bool
    /// What the file's content actually hashes to (nil when missing).
    public var actual: Digest?
    /// `name:version` of every version the damage breaks, sorted.
    public var versions: [String]
}

/// The result of `Store.verify`.
public struct VerifyReport: Sendable, Equatable {
    /// How many referenced blobs were re-hashed (or found missing).
    public var checkedBlobs: Int
    /// Missing or corrupted blobs and the versions they break.
    public var damaged: [DamagedBlob]
    /// Problems SQLite's `integrity_check` / `foreign_key_check` found (empty when fine).
    public var databaseProblems: [String]
    /// Blob files no version references (harmless; `gc` removes them).
    public var unreferencedBlobs: Int

    /// True when nothing is damaged.
    public var isClean: Bool { damaged.isEmpty && databaseProblems.isEmpty }
}

/// The result of `Store.gc`.
public struct GCReport: Sendable, Equatable {
    /// The unreferenced blobs removed, sorted.
    public var removedBlobs: [Digest]
    /// Their total size in bytes.
    public var removedBytes: Int64
    /// Stray staging files removed from `tmp/`, by file name.
    public var removedTempFiles: [String]
    /// Files of abandoned pulls removed from `partial/` (older than a day), by file name.
    public var removedPartialFiles: [String]
    /// How many referenced blobs were kept.
    public var keptBlobs: Int
}

/// What an audit entry records.
public enum AuditAction: String, Sendable, Equatable, CaseIterable {
    /// A version was published.
    case publish
    /// A tag was set or moved by a user.
    case tag
    /// A version was removed.
    case rm
    /// Garbage collection ran.
    case gc
    /// Signatures were added to a version that was already published.
    case sign
    /// A public key was trusted (or its label changed).
    case trust
    /// A public key was no longer trusted.
    case untrust
}

/// One line of the store's append-only audit log.
public struct AuditEntry: Sendable, Equatable {
    /// Increasing sequence number.
    public var id: Int64
    /// When it happened.
    public var time: Date
    /// What happened.
    public var action: AuditAction
    /// What it happened to (`name:version`, `name@tag`, `store` for gc, a key id for
    /// trust and untrust).
    public var subject: String
    /// Details as a JSON object (digest, previous tag target, counts, …).
    public var detailJSON: String
}
