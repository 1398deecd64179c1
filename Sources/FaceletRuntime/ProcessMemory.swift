import Foundation

/// The process's resident memory, as the kernel counts it.
public enum ProcessMemory {
    /// The resident set size in bytes (from `/proc/self/statm`), or nil where that file does
    /// not exist (not Linux) or cannot be parsed.
    public static func residentBytes() -> Int? {
        // statm: "size resident shared text lib data dt", in pages
        // (https://man7.org/linux/man-pages/man5/proc_pid_statm.5.html).
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else {
            return nil
        }
        let fields = text.split(separator: " ")
        guard fields.count >= 2, let pages = Int(fields[1]) else { return nil }
        let (bytes, overflow) = pages.multipliedReportingOverflow(by: pageSize)
        return overflow ? nil : bytes
    }

    private static let pageSize: Int = {
        let size = sysconf(Int32(_SC_PAGESIZE))
        return size > 0 ? size : 4096
    }()
}
