/// A stage of an edit that the benchmark times.
public enum BenchStage: String, Sendable, CaseIterable {
    /// The encoder: image to the three levels ψ(x).
    case encoder
    /// The facelet bank: ψ(x) to Δv at every level.
    case facelet
    /// The decoder from `ψ + Δv`.
    case decoder
    /// The decoder with a new strength each run (ψ and Δv cached): a strength slider's cost.
    case strengthChange = "strength_change"
    /// Encoder, facelet bank and decoder.
    case full
}

/// What `EngineBenchmark.run` measures and how it prints.
public struct BenchOptions: Sendable, Equatable {
    /// Square image sides, each a positive multiple of 16.
    public var sizes: [Int] = [256, 448]
    /// Thread counts (`ComputeThreads.set`), each run in turn.
    public var threads: [Int] = [2, 1]
    /// Timed runs per stage (the median and minimum are reported).
    public var runs: Int = 5
    /// Untimed runs before the timed ones.
    public var warmup: Int = 2
    /// The stages to time, in order.
    public var stages: [BenchStage] = BenchStage.allCases
    /// One JSON object per line (the peer's field names) instead of text.
    public var json: Bool = false
    /// Also time one full edit layer by layer.
    public var layers: Bool = false
    /// The channel multiplier of `Architecture.vgg19` (1 = the peer's network).
    public var width: Double = 1

    /// The defaults: sizes 256 and 448, 2 then 1 threads, 5 runs after 2 warm-ups, all
    /// stages, text output, full width.
    public init() {}

    /// Parses command-line arguments: `--size N...`, `--threads T...`, `--runs R`,
    /// `--warmup W`, `--stages S...`, `--width X`, `--json`, `--layers`.
    ///
    /// - Throws: `BenchError` (`bench.usage`) for an unknown flag or a bad value.
    public static func parse(_ arguments: [String]) throws -> BenchOptions {
        var options = BenchOptions()
        var index = 0
        func values(_ flag: String) throws -> [String] {
            var found: [String] = []
            while index + 1 < arguments.count, !arguments[index + 1].hasPrefix("--") {
                index += 1
                found.append(arguments[index])
            }
            guard !found.isEmpty else { throw BenchError.usage("\(flag) needs a value") }
            return found
        }
        func integers(_ flag: String, minimum: Int) throws -> [Int] {
            try values(flag).map { text in
                guard let value = Int(text), value >= minimum else {
                    throw BenchError.usage("\(flag) takes integers of at least \(minimum), "
                                            + "got \"\(text)\"")
                }
                return value
            }
        }
        while index < arguments.count {
            let flag = arguments[index]
            switch flag {
            case "--size", "--sizes":
                options.sizes = try integers(flag, minimum: 16)
                if let bad = options.sizes.first(where: { $0 % 16 != 0 || $0 > 8192 }) {
                    throw BenchError.usage("--size \(bad): sizes are multiples of 16 up to 8192")
                }
            case "--threads":
                options.threads = try integers(flag, minimum: 1)
            case "--runs":
                options.runs = try integers(flag, minimum: 1)[0]
            case "--warmup":
                options.warmup = try integers(flag, minimum: 0)[0]
            case "--stages":
                options.stages = try values(flag).map { name in
                    guard let stage = BenchStage(rawValue: name) else {
                        throw BenchError.usage("unknown stage \"\(name)\" (encoder, facelet, "
                                                + "decoder, strength_change, full)")
                    }
                    return stage
                }
            case "--width":
                guard let width = Double(try values(flag)[0]), width > 0, width <= 4 else {
                    throw BenchError.usage("--width takes a number in (0, 4]")
                }
                options.width = width
            case "--json":
                options.json = true
            case "--layers":
                options.layers = true
            default:
                throw BenchError.usage("unknown argument \"\(flag)\" (--size, --threads, --runs, "
                                        + "--warmup, --stages, --width, --json, --layers)")
            }
            index += 1
        }
        return options
    }
}

/// A benchmark failure: a stable `code` and a message saying how to fix it.
public struct BenchError: Error, Sendable, CustomStringConvertible {
    /// Stable identifier, e.g. `bench.usage`.
    public let code: String
    /// What went wrong and how to fix it.
    public let message: String

    /// A bad command line.
    static func usage(_ message: String) -> BenchError {
        BenchError(code: "bench.usage", message: message)
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
