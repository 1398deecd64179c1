import FaceletStore

/// A local tag that points at another version than the same tag on a remote (`outdated`).
public struct OutdatedTag: Sendable, Equatable {
    /// The package name.
    public var name: String
    /// The tag (`latest`, `stable`, …).
    public var tag: String
    /// The version the tag names in the local store.
    public var localVersion: String
    /// The version the tag names on the remote.
    public var remoteVersion: String

    /// Compares every tag of the local packages with the same package's tag in `index`;
    /// tags or packages the remote lacks are not listed. Sorted by name, then tag.
    public static func compare(local: [PackageSummary],
                               remote index: RegistryIndex) -> [OutdatedTag] {
        let remote = Dictionary(index.packages.map { ($0.name, $0) },
                                uniquingKeysWith: { first, _ in first })
        var found: [OutdatedTag] = []
        for package in local.sorted(by: { $0.name < $1.name }) {
            guard let entry = remote[package.name] else { continue }
            for (tag, version) in package.tags.sorted(by: { $0.key < $1.key }) {
                guard let theirs = entry.tags[tag], theirs != version else { continue }
                found.append(OutdatedTag(name: package.name, tag: tag, localVersion: version,
                                         remoteVersion: theirs))
            }
        }
        return found
    }
}
