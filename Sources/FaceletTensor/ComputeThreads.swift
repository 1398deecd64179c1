import COpenBLAS
import Foundation

/// The number of threads the tensor operators use.
///
/// This is process-wide state, set once by the program (the CLI's `--threads`, a benchmark, a
/// service). The operators split their work over this many of their own threads in parts that
/// depend only on the operands' shapes and this count, and every OpenBLAS call runs
/// single-threaded inside one part. OpenBLAS's own thread count is set to 1 when this type is
/// first used and never changed afterwards: its threaded `sgemm` blocks the inner dimension
/// differently from its single-threaded one (their results differ in the last bits for some
/// shapes, e.g. an inner dimension of 900), and lowering the process-wide count for one
/// convolution changed the result of another running at the same time. So one input gives the
/// same bits whatever else the process is running, as long as the count itself stays put.
// TODO: make the splits independent of the count (fixed-size parts claimed by any number of
// threads), so that `serve-runtime`'s `set(1)` cannot change the last bits of an edit running
// beside it in the same process (the CLI tests serialise such tests with a lock meanwhile).
public enum ComputeThreads {
    /// The count last set; starts at OpenBLAS's count at start-up (`OPENBLAS_NUM_THREADS`, or
    /// the number of cores).
    private static let state = State()

    /// Sets the number of threads the operators split their work over.
    ///
    /// - Precondition: `n >= 1`.
    public static func set(_ n: Int) {
        precondition(n >= 1, "ComputeThreads.set needs at least one thread, got \(n)")
        state.set(n)
    }

    /// The thread count in effect.
    public static var current: Int {
        state.get()
    }

    /// A lock-protected count. `@unchecked Sendable`: every access goes through `lock`.
    private final class State: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Int

        /// Takes OpenBLAS's start-up count as the default, then makes OpenBLAS single-threaded
        /// for the rest of the process (see `ComputeThreads`).
        init() {
            value = max(1, Int(openblas_get_num_threads()))
            openblas_set_num_threads(1)
        }

        func get() -> Int {
            lock.lock()
            defer { lock.unlock() }
            return value
        }

        func set(_ n: Int) {
            lock.lock()
            value = n
            lock.unlock()
        }
    }
}
