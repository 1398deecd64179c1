import FaceletRuntime
import FaceletService
import FaceletStore
import FaceletTensor
import Foundation

extension FaceletCommandLine {
    /// The long-running HTTP service.
    static let serveCommands: [Command] = [
        Command(spec: CommandSpec(
            "serve-runtime", summary: "serve banks from the store over HTTP, hot-swapping them",
            options: [
                OptionSpec("listen", value: "HOST:PORT",
                           help: "where to listen (default 127.0.0.1:8080; port 0 picks one)"),
                OptionSpec("follow", value: "REF",
                           help: "a bank to serve and follow (repeat, or comma-separate)"),
                OptionSpec("backbone", value: "REF",
                           help: "the backbone (default: the first followed bank's)"),
            ],
            discussion: """
                Keeps the backbone in memory and each --follow reference (beard, \
                beard@stable) installed under its package name, swapping in a new version \
                as soon as the store's reference moves (publish, tag). Prints 'serving on \
                http://HOST:PORT', then serves until SIGINT or SIGTERM and stops cleanly. \
                Runtime events go to stderr (with --json: one {"event": ...} line each on \
                stdout). Endpoints: docs/runtime.md.
                """),
                run: serveRuntime),
    ]

    // MARK: - serve-runtime

    @Sendable static func serveRuntime(_ context: CommandContext) throws {
        let arguments = context.arguments
        let follow = try arguments.values("follow")
            .flatMap { $0.split(separator: ",").map(String.init) }
            .map { try context.reference($0) }
        guard !follow.isEmpty else {
            throw CLIError.usage("serve-runtime needs at least one --follow REF (a bank to serve)")
        }
        let backbone = try arguments.value("backbone").map { try context.reference($0) }
        let listen = try RuntimeServer.Listen(parsing: arguments.value("listen")
            ?? "127.0.0.1:8080")
        let io = context.io
        let json = context.json
        let service = try RuntimeService(
            storeDirectory: URL(fileURLWithPath: context.storePath, isDirectory: true),
            follow: follow, backbone: backbone, listen: listen,
            log: { line in
                if json {
                    io.line((["event": .string(line)] as JSONValue).text)
                } else {
                    io.writeError("facelet-registry: runtime: \(CLIError.oneLine(line))\n")
                }
            })

        // Requests already run in parallel; OpenBLAS threads on top of them would
        // oversubscribe the cores (docs/runtime.md).
        let threads = ComputeThreads.current
        ComputeThreads.set(1)
        defer { ComputeThreads.set(threads) }
        let signals = TerminationSignals(io: io)
        defer { signals.restore() }

        let port = try service.start()
        defer { service.stop() }
        let address = RuntimeServer.Listen(host: listen.host, port: port).description
        context.emit(["serving": .string("http://\(address)"), "port": .integer(Int(port)),
                      "effects": .strings(follow.map(\.description))]) {
            ["serving on http://\(address)"]
        }
        io.waitForInterrupt()
    }
}

/// SIGINT and SIGTERM turned into `CommandIO.interrupt()` through dispatch sources, so the
/// server stops cleanly (open connections finish) instead of dying mid-response.
private final class TerminationSignals {
    private let sources: [any DispatchSourceSignal]

    init(io: CommandIO) {
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            // The default action would kill the process before the source sees the signal.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { io.interrupt() }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    /// Cancels the sources and gives both signals their default action back.
    func restore() {
        for source in sources { source.cancel() }
        for number in [SIGINT, SIGTERM] { signal(number, SIG_DFL) }
    }
}
