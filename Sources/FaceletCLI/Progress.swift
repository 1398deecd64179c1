import Foundation

/// Progress for long work, drawn on one rewritten line of standard error, and only when
/// standard error is a terminal (scripts and tests see nothing).
final class Progress: @unchecked Sendable {
    // @unchecked Sendable: `lastDraw` is only touched under `lock`; the rest is immutable.

    private let io: CommandIO
    private let label: String
    private let enabled: Bool
    private let lock = NSLock()
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(io: CommandIO, label: String) {
        self.io = io
        self.label = label
        self.enabled = io.stderrIsTerminal
    }

    /// Shows `done` of `total` steps (redrawn at most ten times a second).
    func update(_ done: Int, of total: Int, detail: String = "") {
        guard enabled else { return }
        lock.withLock {
            let now = Date()
            guard done >= total || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
            lastDraw = now
            drawn = true
            let percent = total > 0 ? done * 100 / total : 100
            let suffix = detail.isEmpty ? "" : "  \(detail)"
            io.writeError("\r\u{1B}[2K\(label): \(percent)% (\(done)/\(total))\(suffix)")
        }
    }

    /// Shows a byte transfer: a bar, `done` of `total` bytes and the rate since `start`
    /// (redrawn at most ten times a second).
    func bytes(_ done: Int64, of total: Int64, since start: Date, detail: String = "") {
        guard enabled else { return }
        lock.withLock {
            let now = Date()
            guard done >= total || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
            lastDraw = now
            drawn = true
            let width = 24
            let filled = total > 0 ? Int(min(done, total) * Int64(width) / total) : width
            let bar = String(repeating: "#", count: filled)
                + String(repeating: ".", count: width - filled)
            let seconds = max(now.timeIntervalSince(start), 0.001)
            let rate = Format.bytes(Int64(Double(done) / seconds)) + "/s"
            let suffix = detail.isEmpty ? "" : "  \(detail)"
            io.writeError("\r\u{1B}[2K\(label): [\(bar)] \(Format.bytes(done)) / "
                + "\(Format.bytes(total))  \(rate)\(suffix)")
        }
    }

    /// Shows a step name without a count.
    func step(_ detail: String) {
        guard enabled else { return }
        lock.withLock {
            drawn = true
            io.writeError("\r\u{1B}[2K\(label): \(detail)")
        }
    }

    /// Clears the progress line.
    func finish() {
        guard enabled else { return }
        lock.withLock {
            if drawn { io.writeError("\r\u{1B}[2K") }
            drawn = false
        }
    }
}
