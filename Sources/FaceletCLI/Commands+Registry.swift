import FaceletHTTP
import FaceletRegistryServer
import FaceletStore
import Foundation

extension FaceletCommandLine {
    /// The registry server (docs/remote.md).
    static let registryServerCommands: [Command] = [
        Command(spec: CommandSpec(
            "serve", summary: "serve the store as a remote registry over HTTP (/v1/)",
            options: [
                OptionSpec("listen", value: "HOST:PORT",
                           help: "where to listen (default 127.0.0.1:8650; port 0 picks one)"),
                OptionSpec("max-upload-mb", value: "N",
                           help: "the largest package a publish may upload (default 512)"),
                OptionSpec("max-connections", value: "N",
                           help: "connections served at once (default 64)"),
                OptionSpec("timeout", value: "S",
                           help: "seconds a connection may stay idle (default 30)"),
                OptionSpec("read-token",
                           help: "reads need the token too (else only publishing does)"),
            ],
            discussion: """
                Serves the store's index, version documents and blobs (with byte ranges) \
                to `pull`, `outdated` and other registries, takes `publish --to` uploads, \
                and answers long polls on /v1/watch. Publishing needs the bearer token in \
                $FACELET_TOKEN; with no token set publishing is disabled (403). The token \
                is never printed. Prints 'serving on http://HOST:PORT', logs one JSON line \
                per request to stderr (with --json: to stdout), and serves until SIGINT or \
                SIGTERM, then stops cleanly. API and limits: docs/remote.md.
                """),
                run: serveRegistry),
    ]

    // MARK: - serve

    @Sendable static func serveRegistry(_ context: CommandContext) throws {
        let arguments = context.arguments
        let listen: HTTPListenAddress
        do {
            listen = try HTTPListenAddress(parsing: arguments.value("listen") ?? "127.0.0.1:8650")
        } catch {
            throw CLIError.user(RegistryServerError.Code.badAddress.rawValue, error.message)
        }
        let uploadMB = try wholeNumber(arguments, "max-upload-mb", default: 512,
                                       range: 1...(1 << 20))
        let connections = try wholeNumber(arguments, "max-connections", default: 64,
                                          range: 1...100_000)
        let timeout = try wholeNumber(arguments, "timeout", default: 30, range: 1...86_400)
        let token = context.io.environment["FACELET_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        let readsNeedToken = arguments.flag("read-token")
        if readsNeedToken, token == nil {
            throw CLIError.usage("serve: --read-token needs the token in $FACELET_TOKEN")
        }
        let store = try context.openStore()
        let io = context.io
        let json = context.json
        let configuration = RegistryServer.Configuration(
            listen: listen, token: token, readsNeedToken: readsNeedToken,
            maximumUploadBytes: uploadMB << 20, maximumConnections: connections,
            connectionTimeoutSeconds: timeout)
        let server: RegistryServer
        do {
            server = try RegistryServer(store: store, configuration: configuration) { line in
                if json {
                    io.line(line)
                } else {
                    io.writeError("facelet-registry: registry: \(line)\n")
                }
            }
        } catch {
            throw CLIError.user(error.code.rawValue, error.message)
        }

        let stopper = StopOnSignals(io: io)
        defer { stopper.release() }
        let port: UInt16
        do {
            port = try server.start()
        } catch {
            throw CLIError.user(error.code.rawValue, error.message)
        }
        defer { server.stop() }
        let address = HTTPListenAddress(host: listen.host, port: port).description
        context.emit(["serving": .string("http://\(address)"), "port": .integer(Int(port)),
                      "publishing": .bool(token != nil), "read_token": .bool(readsNeedToken)]) {
            ["serving on http://\(address)"]
        }
        if token == nil {
            context.note("no $FACELET_TOKEN: publishing to this registry is disabled")
        }
        io.waitForInterrupt()
    }

    /// A whole-number option within `range`, or `default` when absent.
    private static func wholeNumber(_ arguments: ParsedArguments, _ name: String,
                                    default value: Int,
                                    range: ClosedRange<Int>) throws(CLIError) -> Int {
        guard let text = arguments.value(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw .usage("serve: --\(name) needs a whole number from \(range.lowerBound) to"
                             + " \(range.upperBound), got '\(text.prefix(40))'")
        }
        return number
    }
}

/// Turns SIGINT and SIGTERM into `CommandIO.interrupt()` while the registry serves, so open
/// requests finish before the process exits; `release()` gives the signals back.
private final class StopOnSignals {
    private var sources: [any DispatchSourceSignal] = []
    private let numbers: [Int32] = [SIGINT, SIGTERM]

    init(io: CommandIO) {
        for number in numbers {
            // Ignored first: otherwise the default action ends the process before the dispatch
            // source is told.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { io.interrupt() }
            source.activate()
            sources.append(source)
        }
    }

    func release() {
        sources.forEach { $0.cancel() }
        sources = []
        numbers.forEach { signal($0, SIG_DFL) }
    }
}
