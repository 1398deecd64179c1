import FaceletPackage
import FaceletStore

/// A local tag that names other content than the same tag on a remote (`outdated`): another
/// version, or the same version string with a different content digest (the two stores
/// published different packages under one number).
public struct OutdatedTag: Sendable, Equatable {
    /// The package name.
    public var name: String
    /// The tag (`latest`, `stable`, …).
    public var tag: String
    /// The version the tag names in the local store.
    public var localVersion: String
    /// The version the tag names on the remote.
    public var remoteVersion: String
    /// The content digest of the local version.
    public var localDigest: Digest
    /// The content digest of the remote version.
    public var remoteDigest: Digest

    /// Whether both sides name the same version string (so only the content differs).
    public var sameVersionOtherContent: Bool { localVersion == remoteVersion }

    public init(name: String, tag: String, localVersion: String, remoteVersion: String,
                localDigest: Digest, remoteDigest: Digest) {
        self.name = name
        self.tag = tag
        self.localVersion = localVersion
        self.remoteVersion = remoteVersion
        self.localDigest = localDigest
        self.remoteDigest = remoteDigest
    }

    /// Compares every tag of the local index (`Store.registryIndex()`) with the same package's
    /// tag in the remote's, by the content digest each tag resolves to; tags or packages the
    /// remote lacks are not listed. Sorted by name, then tag.
    public static func compare(local: RegistryIndex, remote: RegistryIndex) -> [OutdatedTag] {
        let theirs = Dictionary(remote.packages.map { ($0.name, $0) },
                                uniquingKeysWith: { first, _ in first })
        var found: [OutdatedTag] = []
        for package in local.packages.sorted(by: { $0.name < $1.name }) {
            guard let entry = theirs[package.name] else { continue }
            for (tag, version) in package.tags.sorted(by: { $0.key < $1.key }) {
                guard let remoteVersion = entry.tags[tag],
                      let mine = digest(of: version, in: package),
                      let other = digest(of: remoteVersion, in: entry),
                      mine != other
                else { continue }
                found.append(OutdatedTag(name: package.name, tag: tag, localVersion: version,
                                         remoteVersion: remoteVersion, localDigest: mine,
                                         remoteDigest: other))
            }
        }
        return found
    }

    private static func digest(of version: String, in entry: RegistryIndex.Entry) -> Digest? {
        entry.versions.first { $0.version == version }?.digest
    }
}
