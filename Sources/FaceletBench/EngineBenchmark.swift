import FaceletPackage
import FaceletTensor
import Foundation

/// Times the engine on the peer's network (`../shared/bench/peer_onnx.py`): VGG-19 encoder to
/// relu5_1, a three-convolution facelet bank per level, the mirrored decoder, random weights.
///
/// FLOPs count convolutions only, multiply-add = 2, `2 * in * out * k * k * H * W` per layer,
/// exactly as the peer's `flop_table`, so GFLOP/s compare across runtimes.
public enum EngineBenchmark {
    /// Runs the benchmark and hands each printed line to `output`.
    ///
    /// For each size and thread count it builds the input, then times each stage of
    /// `options.stages` (`warmup` untimed runs, then `runs` timed ones) and prints the median
    /// and minimum seconds, GFLOP, GFLOP/s and the peak resident memory of the process during
    /// that stage. With `options.layers` it then times one full edit layer by layer. The thread
    /// count in effect before the call is restored afterwards.
    ///
    /// It also sets the process's malloc policy for good: freed activations stay in the heap
    /// (no `mmap` per large tensor), so a run does not pay page faults and kernel zeroing for
    /// every activation, as ONNX Runtime's arena does not either.
    public static func run(_ options: BenchOptions, output: (String) -> Void) {
        ResourceUsage.keepFreedMemory()
        let architecture = Architecture.vgg19(width: options.width)
        let network = BenchNetwork(architecture: architecture, seed: 0)
        let previousThreads = ComputeThreads.current
        defer { ComputeThreads.set(previousThreads) }
        for size in options.sizes {
            let flops = BenchFlops(network: network, architecture: architecture, size: size)
            var random = BenchRandom(state: 123)
            let x = random.image(size: size)
            for threads in options.threads {
                ComputeThreads.set(threads)
                let features = network.encode(x, timer: nil)
                let deltas = network.facelet(features, timer: nil)
                for stage in options.stages {
                    let body = stageBody(stage, network: network, x: x, features: features,
                                         deltas: deltas)
                    ResourceUsage.resetPeak()
                    let (median, minimum) = measure(body, runs: options.runs,
                                                    warmup: options.warmup)
                    let result = StageResult(stage: stage, size: size, threads: threads,
                                             median: median, minimum: minimum,
                                             runs: options.runs, flops: flops.of(stage),
                                             peakBytes: ResourceUsage.peakResidentBytes())
                    output(options.json ? result.json : result.text)
                }
                if options.layers {
                    let timer = LayerTimer()
                    let f = network.encode(x, timer: timer)
                    let d = network.facelet(f, timer: timer)
                    _ = network.decode(features: f, deltas: d, strength: 1, timer: timer)
                    for line in layerLines(timer.timings, size: size, threads: threads,
                                           json: options.json) {
                        output(line)
                    }
                }
            }
        }
    }

    /// The work of one stage; `run` is the run's index (the strength changes with it).
    private static func stageBody(_ stage: BenchStage, network: BenchNetwork, x: Tensor,
                                  features: [String: Tensor], deltas: [String: Tensor])
        -> (Int) -> Void {
        switch stage {
        case .encoder:
            return { _ in _ = network.encode(x, timer: nil) }
        case .facelet:
            return { _ in _ = network.facelet(features, timer: nil) }
        case .decoder:
            return { _ in
                _ = network.decode(features: features, deltas: deltas, strength: 1, timer: nil)
            }
        case .strengthChange:
            return { run in
                let strength = 0.1 * Float(run % 20)
                _ = network.decode(features: features, deltas: deltas, strength: strength,
                                   timer: nil)
            }
        case .full:
            return { _ in
                let f = network.encode(x, timer: nil)
                let d = network.facelet(f, timer: nil)
                _ = network.decode(features: f, deltas: d, strength: 1, timer: nil)
            }
        }
    }

    /// The median and minimum seconds of `runs` timed calls after `warmup` untimed ones.
    private static func measure(_ body: (Int) -> Void, runs: Int, warmup: Int)
        -> (median: Double, minimum: Double) {
        for i in 0..<warmup { body(i) }
        var times: [Double] = []
        for i in 0..<runs {
            let start = BenchClock.now()
            body(warmup + i)
            times.append(BenchClock.now() - start)
        }
        times.sort()
        let middle = times.count / 2
        let median = times.count % 2 == 1 ? times[middle] : (times[middle - 1] + times[middle]) / 2
        return (median, times[0])
    }

    /// One line per layer of a full edit, then the totals per path.
    private static func layerLines(_ timings: [LayerTiming], size: Int, threads: Int,
                                   json: Bool) -> [String] {
        let total = timings.reduce(0) { $0 + $1.seconds }
        var lines: [String] = []
        for t in timings {
            let gflops = t.seconds > 0 ? Double(t.flops) / t.seconds / 1e9 : 0
            if json {
                lines.append("{\"runtime\": \"facelet\", \"layer\": \"\(t.name)\", \"size\": "
                             + "\(size), \"threads\": \(threads), \"path\": \"\(t.path)\", "
                             + "\"seconds\": \(rounded(t.seconds, 5)), \"cpu_s\": "
                             + "\(rounded(t.cpuSeconds, 5)), \"gflop\": "
                             + "\(rounded(Double(t.flops) / 1e9, 3)), \"gflops\": "
                             + "\(rounded(gflops, 1))}")
            } else {
                lines.append(pad(t.name, 26) + pad(t.shape, 22) + pad(t.path, 10)
                             + pad(String(format: "%8.1f ms", t.seconds * 1000), 13)
                             + pad(String(format: "cpu %8.1f ms", t.cpuSeconds * 1000), 17)
                             + pad(t.flops > 0 ? String(format: "%6.1f GFLOP/s", gflops) : "",
                                   16)
                             + String(format: "%5.1f%%", 100 * t.seconds / max(total, 1e-12)))
            }
        }
        if !json {
            for path in ["winograd", "im2col", "other"] {
                let seconds = timings.filter { $0.path == path }.reduce(0) { $0 + $1.seconds }
                lines.append(pad("total \(path)", 58)
                             + String(format: "%8.1f ms  %5.1f%%", seconds * 1000,
                                      100 * seconds / max(total, 1e-12)))
            }
        }
        return lines
    }
}

/// The measured figures of one stage.
struct StageResult {
    let stage: BenchStage
    let size: Int
    let threads: Int
    let median: Double
    let minimum: Double
    let runs: Int
    let flops: Int
    let peakBytes: Int

    var gflops: Double { median > 0 ? Double(flops) / median / 1e9 : 0 }

    /// The peer's fields, plus `peak_rss_mb`.
    var json: String {
        "{\"runtime\": \"facelet\", \"stage\": \"\(stage.rawValue)\", \"size\": \(size), "
            + "\"threads\": \(threads), \"median_s\": \(rounded(median, 5)), \"min_s\": "
            + "\(rounded(minimum, 5)), \"runs\": \(runs), \"gflop\": "
            + "\(rounded(Double(flops) / 1e9, 3)), \"gflops\": \(rounded(gflops, 1)), "
            + "\"peak_rss_mb\": \(peakBytes / (1 << 20))}"
    }

    var text: String {
        pad(stage.rawValue, 16) + pad("size \(size)", 10) + pad("threads \(threads)", 11)
            + String(format: "median %7.3f s  min %7.3f s  %7.1f GFLOP  %6.1f GFLOP/s  "
                        + "peak RSS %d MB", median, minimum, Double(flops) / 1e9, gflops,
                     peakBytes / (1 << 20))
    }
}

/// Convolution FLOPs per stage, counted like the peer's `flop_table`.
struct BenchFlops {
    let encoder: Int
    let facelet: Int
    let decoder: Int

    init(network: BenchNetwork, architecture: Architecture, size: Int) {
        encoder = BenchFlops.count(network.encoder, height: size, width: size)
        var facelet = 0
        for (level, layers) in network.facelets {
            let stride = architecture.level(named: level)?.stride ?? 1
            let side = size / stride
            facelet += layers.reduce(0) { sum, layer in
                sum + BenchFlops.convFlops(layer.prepared, height: side, width: side)
            }
        }
        self.facelet = facelet
        var decoderSide = size
        if case .input(let level)? = network.decoder.first {
            decoderSide = size / (architecture.level(named: level)?.stride ?? 1)
        }
        decoder = BenchFlops.count(network.decoder, height: decoderSide, width: decoderSide)
    }

    func of(_ stage: BenchStage) -> Int {
        switch stage {
        case .encoder: return encoder
        case .facelet: return facelet
        case .decoder, .strengthChange: return decoder
        case .full: return encoder + facelet + decoder
        }
    }

    static func convFlops(_ p: PreparedConvolution, height: Int, width: Int) -> Int {
        2 * p.inChannels * p.outChannels * p.kernel * p.kernel * height * width
    }

    static func count(_ steps: [BenchNetwork.Step], height: Int, width: Int) -> Int {
        var (h, w, total) = (height, width, 0)
        for step in steps {
            switch step {
            case .conv(let layer): total += convFlops(layer.prepared, height: h, width: w)
            case .maxpool: (h, w) = (h / 2, w / 2)
            case .upsample: (h, w) = (2 * h, 2 * w)
            default: break
            }
        }
        return total
    }
}

/// Monotonic seconds.
enum BenchClock {
    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// The CPU seconds of the whole process (every thread).
    static func cpu() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}

/// `value` rounded to `digits` decimals, as a JSON number.
func rounded(_ value: Double, _ digits: Int) -> String {
    String(format: "%.\(digits)f", value)
}

/// `text` padded with spaces to `width` characters.
func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}
