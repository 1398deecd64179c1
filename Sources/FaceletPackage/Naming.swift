/// The naming rules for package names, versions and tags (docs/format.md, "The manifest").
///
/// No accepted string can act as a path: none starts with `.` or contains `/`, `\`, `..` or NUL.
public enum Naming {
    /// Checks a package name: 1–64 characters from `a-z 0-9 - _ .`, starting with a letter or
    /// digit, without `..`.
    /// - Throws: `PackageError` with code `.badName`.
    public static func validateName(_ s: String) throws(PackageError) {
        if let problem = check(s, allowUpper: false) {
            throw PackageError(.badName,
                               "a package name \(problem); use 1-64 characters from a-z 0-9 - _ ."
                               + " starting with a letter or digit",
                               context: ["name": String(s.prefix(80))])
        }
    }

    /// Checks a version: 1–64 characters from `A-Z a-z 0-9 . _ -`, starting with a letter or
    /// digit, without `..`.
    /// - Throws: `PackageError` with code `.badVersion`.
    public static func validateVersion(_ s: String) throws(PackageError) {
        if let problem = check(s, allowUpper: true) {
            throw PackageError(.badVersion,
                               "a version \(problem); use 1-64 characters from A-Z a-z 0-9 . _ -"
                               + " starting with a letter or digit",
                               context: ["version": String(s.prefix(80))])
        }
    }

    /// Checks a tag (a movable label such as `latest` on a version in a store): the same rule as
    /// a version.
    /// - Throws: `PackageError` with code `.badTag`.
    public static func validateTag(_ s: String) throws(PackageError) {
        if let problem = check(s, allowUpper: true) {
            throw PackageError(.badTag,
                               "a tag \(problem); use 1-64 characters from A-Z a-z 0-9 . _ -"
                               + " starting with a letter or digit",
                               context: ["tag": String(s.prefix(80))])
        }
    }

    /// What is wrong with `s`, or nil when it passes.
    private static func check(_ s: String, allowUpper: Bool) -> String? {
        let bytes = Array(s.utf8)
        guard !bytes.isEmpty else { return "is empty" }
        guard bytes.count <= 64 else { return "is longer than 64 characters" }
        func isAlnum(_ b: UInt8) -> Bool {
            (48...57).contains(b) || (97...122).contains(b) || (allowUpper && (65...90).contains(b))
        }
        guard isAlnum(bytes[0]) else { return "must start with a letter or digit" }
        for b in bytes where !(isAlnum(b) || b == 45 || b == 95 || b == 46) {
            return "contains a character outside the allowed set"
        }
        if s.contains("..") { return "contains \"..\"" }
        return nil
    }
}
