import Dispatch

/// Splits loops over the threads of `ComputeThreads`.
enum Parallel {
    /// Calls `body` on disjoint ranges covering `0..<count`, concurrently when the work is big
    /// enough to pay for the threads. `minimumChunk` is the smallest range worth a thread.
    static func forEachRange(_ count: Int, minimumChunk: Int = 1 << 15,
                             _ body: @Sendable (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let parts = min(ComputeThreads.current, max(1, count / max(1, minimumChunk)))
        if parts <= 1 {
            body(0..<count)
            return
        }
        let step = (count + parts - 1) / parts
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let start = part * step
            let end = min(count, start + step)
            if start < end { body(start..<end) }
        }
    }
}

/// A raw mutable float buffer that may be written from several threads at once.
///
/// `@unchecked Sendable` is safe here because every user writes disjoint index ranges from the
/// threads of one `Parallel.forEachRange` call, which returns only after all of them finish.
struct SharedFloats: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
}

/// A raw read-only float buffer shared with the threads of one `Parallel` call.
///
/// `@unchecked Sendable` is safe: it is only read while its owner outlives the parallel call.
struct SharedConstFloats: @unchecked Sendable {
    let base: UnsafePointer<Float>
}
