import COpenBLAS
import Foundation

/// The number of threads the tensor operators use.
///
/// This is process-wide state: it sets OpenBLAS's thread count (used inside every `sgemm`) and
/// the number of parts the operators' own loops (im2col, element-wise work) are split into.
public enum ComputeThreads {
    /// The count last set (or OpenBLAS's at start-up). Kept apart from OpenBLAS's own count,
    /// which the Winograd path lowers to 1 while its products run on our threads: reading
    /// OpenBLAS's count then made a concurrent convolution take the other path, and the two
    /// paths' results differ in the last bits, so one photo could decode differently.
    private static let state = State()

    /// Sets the thread count for OpenBLAS and for the operators' own loops.
    ///
    /// - Precondition: `n >= 1`.
    public static func set(_ n: Int) {
        precondition(n >= 1, "ComputeThreads.set needs at least one thread, got \(n)")
        state.set(n)
        openblas_set_num_threads(Int32(clamping: n))
    }

    /// The thread count in effect.
    public static var current: Int {
        state.get()
    }

    /// A lock-protected count. `@unchecked Sendable`: every access goes through `lock`.
    private final class State: @unchecked Sendable {
        private let lock = NSLock()
        private var value = max(1, Int(openblas_get_num_threads()))

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
