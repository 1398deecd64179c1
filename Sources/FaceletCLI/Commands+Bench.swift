import FaceletBench
import Foundation

extension FaceletCommandLine {
    /// The engine benchmark: the peer's network timed stage by stage.
    static let engineBenchmarkCommands: [Command] = [
        Command(spec: CommandSpec(
            "bench",
            summary: "time the CNN engine on the full VGG-19 Facelet network (release build)",
            options: [
                OptionSpec("size", value: "N,...", help: "square sizes, multiples of 16 (256,448)"),
                OptionSpec("threads", value: "T,...", help: "thread counts (2,1)"),
                OptionSpec("runs", value: "R", help: "timed runs per stage; the median is shown (5)"),
                OptionSpec("warmup", value: "W", help: "untimed runs first (2)"),
                OptionSpec("stages", value: "S,...",
                           help: "encoder, facelet, decoder, strength_change, full (all)"),
                OptionSpec("width", value: "X", help: "channel multiplier of VGG-19 (1)"),
                OptionSpec("layers", help: "also print where the time goes, layer by layer"),
            ],
            discussion: """
                Random weights, the same network and FLOP count as \
                ../shared/bench/peer_onnx.py; with --json one object per line with the \
                peer's field names. scripts/bench-vs-onnx.sh runs both and prints the ratios. \
                Build with -c release: a debug build is many times slower.
                """),
                run: engineBench),
    ]

    @Sendable static func engineBench(_ context: CommandContext) throws {
        let arguments = context.arguments
        var forwarded: [String] = []
        for name in ["size", "threads", "runs", "warmup", "stages", "width"] {
            let values = arguments.values(name).flatMap { $0.split(separator: ",") }
            if !values.isEmpty { forwarded += ["--\(name)"] + values.map(String.init) }
        }
        if arguments.flag("layers") { forwarded.append("--layers") }
        if context.json { forwarded.append("--json") }
        let options: BenchOptions
        do {
            options = try BenchOptions.parse(forwarded)
        } catch let error as BenchError {
            throw CLIError.usage(error.message)
        }
        EngineBenchmark.run(options) { context.io.line($0) }
    }
}
