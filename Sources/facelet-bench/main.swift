// facelet-bench: times the engine on the peer's network (see FaceletBench.EngineBenchmark).
import FaceletBench
import Foundation

do {
    let options = try BenchOptions.parse(Array(CommandLine.arguments.dropFirst()))
    EngineBenchmark.run(options) { line in print(line) }
} catch {
    FileHandle.standardError.write(Data("facelet-bench: \(error)\n".utf8))
    exit(2)
}
