import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a command's output goes and what it may read from its surroundings.
///
/// The real one (`CommandIO.standard()`) writes to the process's standard output and error and
/// reads the process environment; a capturing one (`CommandIO.capturing(...)`) keeps both
/// streams in memory and takes its environment as a value, so tests can run commands
/// in-process, in parallel, without touching process-global state.
public final class CommandIO: @unchecked Sendable {
    // @unchecked Sendable: the captured buffers are only touched under `lock`; the remaining
    // stored properties are immutable after init.

    /// The environment variables the command sees (`FACELET_HOME`, `FACELET_CONFIG`, `HOME`).
    public let environment: [String: String]
    /// The directory relative paths on the command line are resolved against.
    public let workingDirectory: String
    /// Whether standard error is a terminal (progress is shown only then).
    public let stderrIsTerminal: Bool

    private let capturing: Bool
    private let interruption = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var outBuffer = ""
    private var errBuffer = ""

    private init(environment: [String: String], workingDirectory: String,
                 stderrIsTerminal: Bool, capturing: Bool) {
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.stderrIsTerminal = stderrIsTerminal
        self.capturing = capturing
    }

    /// The process's own streams, environment and working directory.
    public static func standard() -> CommandIO {
        CommandIO(environment: ProcessInfo.processInfo.environment,
                  workingDirectory: FileManager.default.currentDirectoryPath,
                  stderrIsTerminal: isatty(2) == 1, capturing: false)
    }

    /// An in-memory sink with the given environment; read the output back with
    /// `standardOutput` and `standardError`.
    public static func capturing(environment: [String: String] = [:],
                                 workingDirectory: String? = nil) -> CommandIO {
        CommandIO(environment: environment,
                  workingDirectory: workingDirectory ?? FileManager.default.currentDirectoryPath,
                  stderrIsTerminal: false, capturing: true)
    }

    /// Everything written to standard output so far (capturing mode only).
    public var standardOutput: String { lock.withLock { outBuffer } }
    /// Everything written to standard error so far (capturing mode only).
    public var standardError: String { lock.withLock { errBuffer } }

    /// Writes `text` to standard output as is.
    public func write(_ text: String) {
        if capturing {
            lock.withLock { outBuffer += text }
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }

    /// Writes one line to standard output.
    public func line(_ text: String = "") {
        write(text + "\n")
    }

    /// Writes `text` to standard error as is.
    public func writeError(_ text: String) {
        if capturing {
            lock.withLock { errBuffer += text }
        } else {
            FileHandle.standardError.write(Data(text.utf8))
        }
    }

    /// Asks a long-running command (`serve-runtime`) to stop cleanly, as SIGINT or SIGTERM
    /// would; for embedding and tests, which cannot signal their own process.
    public func interrupt() {
        interruption.signal()
    }

    /// Blocks until `interrupt()` is called (once per call).
    func waitForInterrupt() {
        interruption.wait()
    }

    /// Resolves a path from the command line: `~` expands to the home directory, relative
    /// paths are taken against the working directory.
    func absolutePath(_ path: String) -> String {
        var expanded = path
        if path == "~" || path.hasPrefix("~/") {
            let home = environment["HOME"] ?? NSHomeDirectory()
            expanded = home + path.dropFirst()
        }
        if expanded.hasPrefix("/") {
            return URL(fileURLWithPath: expanded).standardizedFileURL.path
        }
        return URL(fileURLWithPath: workingDirectory).appendingPathComponent(expanded)
            .standardizedFileURL.path
    }
}
