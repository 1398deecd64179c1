import FaceletRuntime
import FaceletTensor
import Foundation

// facelet-loadtest: loopback-only load against the runtime service while a bank is
// re-published, then an install/remove soak. Bounded by --seconds per phase and
// --max-requests per phase. See docs/runtime.md for recorded figures.

guard let options = Options.parse(Array(CommandLine.arguments.dropFirst())) else { exit(2) }
// Requests run concurrently on the server's threads: one BLAS thread each avoids
// oversubscribing the cores.
ComputeThreads.set(1)

func summarise(_ name: String, _ samples: [Sample]) {
    let ok = samples.filter(\.ok)
    let latencies = ok.map(\.seconds)
    // Throughput over the time the clients were busy (phases may be several).
    let span = busySeconds(samples)
    print("\(name): \(samples.count) requests, \(samples.count - ok.count) failed,"
          + String(format: " %.1f req/s", Double(ok.count) / max(span, 1e-9))
          + ", latency p50 \(ms(percentile(latencies, 0.5)))"
          + " p99 \(ms(percentile(latencies, 0.99)))"
          + " max \(ms(latencies.max()))")
}

func runLoad() throws -> Bool {
    let rig = try LoadRig(options)
    defer { rig.shutDown() }
    print("load: \(options.clients) clients, \(options.photo)x\(options.photo) PNG photos,"
          + " backbone width \(options.width), phases of \(options.seconds) s or"
          + " \(options.maximumRequests) requests, poll \(options.poll) s, server on"
          + " 127.0.0.1:\(rig.server.port ?? 0)")

    // Phases alternate so that drift in the shared machine's load hits both alike.
    var steady: [Sample] = []
    var swapping: [Sample] = []
    for round in 1...options.rounds {
        let calm = rig.load(clients: options.clients, seconds: options.seconds,
                            limit: options.maximumRequests)
        summarise("round \(round) without swaps", calm)
        let busy = rig.load(clients: options.clients, seconds: options.seconds,
                            limit: options.maximumRequests) { deadline in
            rig.republish(every: options.publishInterval, until: deadline)
        }
        summarise("round \(round) with swaps   ", busy)
        steady += calm
        swapping += busy
    }
    summarise("all without swaps", steady)
    summarise("all with swaps   ", swapping)

    let published = rig.published.update { $0 }
    let installed = rig.installed.update { $0 }
    let retired = rig.retired.update { $0 }
    let bad = rig.bad.update { $0 }
    var notLive = 0
    for sample in swapping + steady where sample.ok {
        guard let digest = sample.digest, !bad.contains(digest),
              let publishedAt = published[digest], publishedAt <= sample.end,
              let installedAt = installed[digest], installedAt <= sample.end,
              (retired[digest] ?? .max) >= sample.start else {
            notLive += 1
            continue
        }
    }
    let served = Set(swapping.compactMap(\.digest))
    print("digests: \(published.count) good versions published (incl. the first),"
          + " \(bad.count) bad ones (\(rig.rejections.update { $0 }) rejections),"
          + " \(served.count) distinct digests served during swaps,"
          + " \(bad.intersection(served).count) bad digests served,"
          + " \(notLive) responses whose digest was not live during the request")

    var toFirstServed: [Double] = []
    var toInstalled: [Double] = []
    for (digest, publishedAt) in published where digest != published.min(by: {
        $0.value < $1.value })?.key {
        if let installedAt = installed[digest] {
            toInstalled.append(Double(installedAt - min(installedAt, publishedAt)) / 1e9)
        }
        if let first = swapping.filter({ $0.digest == digest && $0.ok }).map(\.end).min() {
            toFirstServed.append(Double(first - min(first, publishedAt)) / 1e9)
        }
    }
    print("swap latency over \(toFirstServed.count) swaps: publish-to-first-served"
          + " p50 \(ms(percentile(toFirstServed, 0.5))) p99 \(ms(percentile(toFirstServed, 0.99)))"
          + "; publish-to-installed p50 \(ms(percentile(toInstalled, 0.5)))"
          + " p99 \(ms(percentile(toInstalled, 0.99)))")
    let p99Steady = percentile(steady.filter(\.ok).map(\.seconds), 0.99) ?? 0
    let p99Swaps = percentile(swapping.filter(\.ok).map(\.seconds), 0.99) ?? 0
    print(String(format: "p99 with swaps / p99 without: %.2f", p99Swaps / max(p99Steady, 1e-9)))
    let failures = (steady + swapping).filter { !$0.ok }.count
    print("failed requests: \(failures)")
    return failures == 0 && notLive == 0
}

/// The seconds covered by the union of the samples' [start, end] intervals.
func busySeconds(_ samples: [Sample]) -> Double {
    var total: UInt64 = 0
    var current: (UInt64, UInt64)?
    for sample in samples.sorted(by: { $0.start < $1.start }) {
        if let (start, end) = current, sample.start <= end {
            current = (start, max(end, sample.end))
        } else {
            if let (start, end) = current { total += end - start }
            current = (sample.start, sample.end)
        }
    }
    if let (start, end) = current { total += end - start }
    return Double(total) / 1e9
}

do {
    let passed = options.rounds > 0 ? try runLoad() : true
    try soak(cycles: options.soakCycles, width: options.soakWidth)
    exit(passed ? 0 : 1)
} catch {
    print("facelet-loadtest: \(error)")
    exit(1)
}
