import FaceletPackage
import FaceletStore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension CommandContext {
    /// Opens the store, or fails with a hint to run `init`.
    func openStore() throws -> Store {
        try Store.open(at: URL(fileURLWithPath: storePath, isDirectory: true))
    }

    /// Parses `name`, `name:version` or `name@tag`.
    func reference(_ text: String) throws -> Reference {
        try Reference(parsing: text)
    }

    /// Parses a reference that must name one exact version (`name:version`).
    func exactReference(_ text: String, for command: String) throws -> Reference {
        let parsed = try Reference(parsing: text)
        guard case .version = parsed.selector else {
            throw CLIError.usage("\(command) needs NAME:VERSION, got '\(text)'")
        }
        return parsed
    }

    /// Reads a package file, naming the file in any error.
    func readPackage(at path: String) throws -> Package {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError.user("file-not-found", "no such file: \(path)")
        }
        do {
            return try PackageReader.read(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CLIError.user(error.code.rawValue,
                                "\(path): \(ErrorReport.withContext(error))")
        }
    }

    /// Fails when the folder `path` would be written into does not exist: long commands call it
    /// before their work, so a typo in `-o` or `--checkpoint` costs nothing.
    func requireFolder(of path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder),
              isFolder.boolValue else {
            throw CLIError.user("io", "cannot write \(path): folder \(folder.path) does not exist")
        }
        var pathIsFolder: ObjCBool = false
        if path.hasSuffix("/")
            || (FileManager.default.fileExists(atPath: path, isDirectory: &pathIsFolder)
                && pathIsFolder.boolValue) {
            throw CLIError.user("io", "cannot write \(path): it is a folder; give a file name")
        }
        guard FileManager.default.isWritableFile(atPath: folder.path) else {
            throw CLIError.user("io", "cannot write \(path): folder \(folder.path) is not writable")
        }
    }

    /// Writes `data` to `path` through a temporary file and a rename, so a reader never sees
    /// half a file.
    func writeAtomically(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        try requireFolder(of: path)
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID()).tmp")
        do {
            try data.write(to: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw CLIError.user("io", "cannot write \(path): \(error.localizedDescription)")
        }
        // rename(2) replaces an existing file atomically (FileManager's replaceItemAt does not
        // on Linux).
        guard rename(temporary.path, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw CLIError.user("io", "cannot write \(path): \(reason)")
        }
    }
}

/// Small formatting helpers for human output.
enum Format {
    /// `1.2 MB`-style sizes (powers of 1000, one decimal).
    static func bytes(_ count: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(count)
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// ISO 8601 UTC time, seconds precision.
    static func time(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// A number with up to `digits` significant digits, no exponent for ordinary values.
    static func number(_ value: Double, digits: Int = 4) -> String {
        guard value.isFinite else { return "n/a" }
        if value == 0 { return "0" }
        let magnitude = abs(value)
        if magnitude >= 1e-3 && magnitude < 1e6 {
            var text = String(format: "%.\(digits)g", value)
            if text.contains("e") { text = String(format: "%.3f", value) }
            return text
        }
        return String(format: "%.3e", value)
    }

    /// A time span for progress lines: `42 s`, `3 min 05 s`, `1 h 02 min`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole) s" }
        if whole < 3600 { return String(format: "%d min %02d s", whole / 60, whole % 60) }
        return String(format: "%d h %02d min", whole / 3600, whole % 3600 / 60)
    }

    /// `[16, 16, 3, 3]`.
    static func shape(_ shape: [Int]) -> String {
        "[" + shape.map(String.init).joined(separator: ", ") + "]"
    }

    /// The strength range of a manifest: `1 in [-1, 2]`.
    static func strength(_ range: StrengthRange) -> String {
        "default \(number(range.default)), allowed [\(number(range.min)), \(number(range.max))]"
    }
}
