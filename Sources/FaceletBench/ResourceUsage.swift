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

    /// Serves every allocation from the heap and never trims it (glibc `mallopt`), so freed
    /// activations are reused instead of mapped, faulted in and zeroed again.
    static func keepFreedMemory() {
        #if os(Linux)
        _ = glibcMallopt(-4, 0)  // M_MMAP_MAX
        _ = glibcMallopt(-1, Int32.max)  // M_TRIM_THRESHOLD
        #endif
    }
}

#if os(Linux)
/// glibc's `int mallopt(int param, int value)` (malloc.h), which the Glibc module does not
/// export.
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
