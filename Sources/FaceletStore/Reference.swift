import FaceletPackage

/// Names one version of a package in the store: `name` (the latest version), `name:version`
/// or `name@tag`.
///
/// Parsing validates every part with `Naming`, so no accepted reference can act as a path.
/// `name@latest` is the same reference as `name`.
public struct Reference: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Which version of the package a reference picks.
    public enum Selector: Sendable, Equatable, Hashable {
        /// The highest version (the `latest` tag the store maintains).
        case latest
        /// An exact version string.
        case version(String)
        /// A tag set with `Store.tag(_:as:)`.
        case tag(String)
    }

    /// The package name.
    public let name: String
    /// Which version.
    public let selector: Selector

    /// The tag the store maintains on the highest version of every package.
    public static let latestTag = "latest"

    /// Makes a reference from parts, validating them.
    /// - Throws: `StoreError` with code `.invalidReference`.
    public init(name: String, selector: Selector = .latest) throws(StoreError) {
        try Reference.check(name, "package name", Naming.validateName)
        switch selector {
        case .latest:
            self.selector = .latest
        case .version(let version):
            try Reference.check(version, "version", Naming.validateVersion)
            self.selector = selector
        case .tag(let tag):
            try Reference.check(tag, "tag", Naming.validateTag)
            self.selector = tag == Reference.latestTag ? .latest : selector
        }
        self.name = name
    }

    /// Parses `name`, `name:version` or `name@tag`.
    /// - Throws: `StoreError` with code `.invalidReference` saying which part is wrong.
    public init(parsing text: String) throws(StoreError) {
        if let at = text.firstIndex(of: "@") {
            try self.init(name: String(text[..<at]),
                          selector: .tag(String(text[text.index(after: at)...])))
        } else if let colon = text.firstIndex(of: ":") {
            try self.init(name: String(text[..<colon]),
                          selector: .version(String(text[text.index(after: colon)...])))
        } else {
            try self.init(name: text)
        }
    }

    /// `name`, `name:version` or `name@tag`.
    public var description: String {
        switch selector {
        case .latest: name
        case .version(let version): "\(name):\(version)"
        case .tag(let tag): "\(name)@\(tag)"
        }
    }

    /// Runs a `Naming` rule, turning its error into an `.invalidReference` one.
    private static func check(
        _ text: String, _ what: String, _ rule: (String) throws(PackageError) -> Void
    ) throws(StoreError) {
        do {
            try rule(text)
        } catch {
            throw StoreError(
                .invalidReference,
                "bad \(what) \"\(String(text.prefix(80)).replacingNULs)\": \(error.message); "
                    + "write a reference as name, name:version or name@tag")
        }
    }
}

extension String {
    /// The text with NUL characters shown as `\0`, safe to print.
    var replacingNULs: String {
        unicodeScalars.map { $0 == "\0" ? "\\0" : String($0) }.joined()
    }
}

/// Orders version strings naturally: runs of digits compare as numbers, other runs by bytes,
/// so `2 < 10` and `1.9 < 1.10`. Ties (`1.0` vs `1.00`) fall back to plain byte order, so the
/// order is total.
enum NaturalOrder {
    /// Whether `a` sorts before `b`.
    static func less(_ a: String, _ b: String) -> Bool {
        let left = chunks(a), right = chunks(b)
        for (x, y) in zip(left, right) where x != y {
            switch (x.isDigits, y.isDigits) {
            case (true, true):
                let (p, q) = (x.text.drop { $0 == 48 }, y.text.drop { $0 == 48 })
                if p.count != q.count { return p.count < q.count }
                if !p.elementsEqual(q) { return p.lexicographicallyPrecedes(q) }
            case (true, false): return true
            case (false, true): return false
            case (false, false): return x.text.lexicographicallyPrecedes(y.text)
            }
        }
        if left.count != right.count { return left.count < right.count }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    private struct Chunk: Equatable {
        var text: [UInt8]
        var isDigits: Bool
    }

    private static func chunks(_ s: String) -> [Chunk] {
        var result: [Chunk] = []
        for byte in s.utf8 {
            let digit = (48...57).contains(byte)
            if let last = result.last, last.isDigits == digit {
                result[result.count - 1].text.append(byte)
            } else {
                result.append(Chunk(text: [byte], isDigits: digit))
            }
        }
        return result
    }
}
