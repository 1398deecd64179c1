import FaceletRuntime
import Foundation

/// Request counters and latency histograms of one server, rendered with the runtime's own
/// figures (swaps, resident bytes per bank, sessions) in the Prometheus text format
/// (https://prometheus.io/docs/instrumenting/exposition_formats/).
final class ServiceMetrics: @unchecked Sendable {
    // @unchecked Sendable: `requests` and `latency` are only touched with `lock` held.
    private let lock = NSLock()
    private var requests: [Key: Int] = [:]
    private var latency: [String: Histogram] = [:]

    /// Upper bounds of the latency buckets, in seconds.
    static let bounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                   2.5, 5, 10]

    private struct Key: Hashable {
        let endpoint: String
        let status: Int
    }

    private struct Histogram {
        var counts = [Int](repeating: 0, count: ServiceMetrics.bounds.count)
        var total = 0
        var sum = 0.0
    }

    /// Counts one finished request.
    func record(endpoint: String, status: Int, seconds: Double) {
        lock.lock()
        defer { lock.unlock() }
        requests[Key(endpoint: endpoint, status: status), default: 0] += 1
        var histogram = latency[endpoint] ?? Histogram()
        for (index, bound) in Self.bounds.enumerated() where seconds <= bound {
            histogram.counts[index] += 1
        }
        histogram.total += 1
        histogram.sum += seconds
        latency[endpoint] = histogram
    }

    /// The exposition text.
    func render(runtime: FaceletRuntime, connections: Int) -> String {
        lock.lock()
        let requests = self.requests
        let latency = self.latency
        lock.unlock()

        var out = ""
        func family(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        family("facelet_requests_total", "counter", "HTTP requests served, by endpoint and status.")
        let keys = requests.keys.sorted { ($0.endpoint, $0.status) < ($1.endpoint, $1.status) }
        for key in keys {
            out += "facelet_requests_total{endpoint=\"\(key.endpoint)\",code=\"\(key.status)\"}"
                + " \(requests[key] ?? 0)\n"
        }
        family("facelet_request_duration_seconds", "histogram",
               "Time from a request's headers to its response being queued.")
        for endpoint in latency.keys.sorted() {
            guard let histogram = latency[endpoint] else { continue }
            for (bound, count) in zip(Self.bounds, histogram.counts) {
                out += "facelet_request_duration_seconds_bucket{endpoint=\"\(endpoint)\","
                    + "le=\"\(bound)\"} \(count)\n"
            }
            out += "facelet_request_duration_seconds_bucket{endpoint=\"\(endpoint)\","
                + "le=\"+Inf\"} \(histogram.total)\n"
            out += "facelet_request_duration_seconds_sum{endpoint=\"\(endpoint)\"}"
                + " \(histogram.sum)\n"
            out += "facelet_request_duration_seconds_count{endpoint=\"\(endpoint)\"}"
                + " \(histogram.total)\n"
        }

        let statistics = runtime.statistics
        family("facelet_swaps_total", "counter", "Switches of the installed-bank table, by kind.")
        out += "facelet_swaps_total{kind=\"install\"} \(statistics.installs)\n"
        out += "facelet_swaps_total{kind=\"replace\"} \(statistics.replacements)\n"
        out += "facelet_swaps_total{kind=\"remove\"} \(statistics.removals)\n"
        family("facelet_bank_rejections_total", "counter",
               "Banks refused by validation (the installed version kept serving).")
        out += "facelet_bank_rejections_total \(statistics.rejections)\n"

        let snapshot = runtime.snapshot()
        family("facelet_snapshot_generation", "gauge", "Generation of the installed-bank table.")
        out += "facelet_snapshot_generation \(snapshot.generation)\n"
        family("facelet_bank_resident_bytes", "gauge",
               "Bytes of float32 weights each installed bank keeps in memory.")
        for effect in snapshot.sorted {
            let version = effect.version
            out += "facelet_bank_resident_bytes{effect=\"\(version.effect)\",version=\""
                + "\(version.version)\",digest=\"\(version.digest)\"} \(effect.residentBytes)\n"
        }
        family("facelet_sessions", "gauge", "Open interactive sessions.")
        out += "facelet_sessions \(runtime.sessions.count)\n"
        family("facelet_session_resident_bytes", "gauge",
               "Bytes the open sessions' photos, features and deltas take.")
        out += "facelet_session_resident_bytes \(runtime.sessions.residentBytes)\n"
        family("facelet_connections", "gauge", "Open HTTP connections.")
        out += "facelet_connections \(connections)\n"
        if let resident = ProcessMemory.residentBytes() {
            family("facelet_process_resident_bytes", "gauge", "Resident memory of the process.")
            out += "facelet_process_resident_bytes \(resident)\n"
        }
        return out
    }
}
