import Foundation

/// The process's peak resident memory, from Linux's `/proc/self/status`.
enum ResourceUsage {
    /// `VmHWM` in bytes (0 when unreadable, e.g. on other systems).
    static func peakResidentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let digits = line.split(separator: " ").compactMap { Int($0) }
            return (digits.first ?? 0) * 1024
        }
        return 0
    }

    /// Resets `VmHWM` to the current resident size by writing 5 to `/proc/self/clear_refs`
    /// (proc(5): "reset the peak resident set size"); does nothing where that fails.
    static func resetPeak() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }
}
