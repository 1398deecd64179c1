import Foundation

/// Nanoseconds on the monotonic clock every timestamp of the load test uses.
func now() -> UInt64 {
    DispatchTime.now().uptimeNanoseconds
}

/// The `p`-quantile (0…1) of `values` by the nearest-rank method; nil when empty.
func percentile(_ values: [Double], _ p: Double) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    let rank = Int((p * Double(sorted.count)).rounded(.up))
    return sorted[min(max(rank, 1), sorted.count) - 1]
}

/// Milliseconds with two decimals, or `-`.
func ms(_ seconds: Double?) -> String {
    seconds.map { String(format: "%.2f ms", $0 * 1000) } ?? "-"
}

/// A value behind a lock, for the load test's threads.
final class Shared<Value>: @unchecked Sendable {
    // @unchecked Sendable: `value` is only touched inside `update`, with `lock` held.
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) {
        self.value = value
    }

    func update<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
