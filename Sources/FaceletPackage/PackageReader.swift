import Foundation

/// Reads and strictly checks Facelet packages (docs/format.md, "What the reader enforces").
public enum PackageReader {
    /// Reads the package file at `url`.
    /// - Throws: `PackageError`: `.unreadable` when the file cannot be read, otherwise the
    ///   code of the first rule the content breaks.
    public static func read(contentsOf url: URL) throws(PackageError) -> Package {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw PackageError(.unreadable, "cannot read the package file: \(error)",
                               context: ["file.path": url.path])
        }
        do {
            return try read(data)
        } catch {
            throw error.adding(["file.path": url.path])
        }
    }

    /// Reads a package from its bytes.
    /// - Throws: `PackageError` with the code of the first rule the content breaks.
    public static func read(_ data: Data) throws(PackageError) -> Package {
        // TODO: implement the strict reader (in progress).
        throw PackageError(.truncated, "reader not implemented yet")
    }
}
