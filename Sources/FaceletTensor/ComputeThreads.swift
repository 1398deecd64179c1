import COpenBLAS

/// The number of threads the tensor operators use.
///
/// This is process-wide state: it sets OpenBLAS's thread count (used inside every `sgemm`) and
/// the number of parts the operators' own loops (im2col, element-wise work) are split into.
public enum ComputeThreads {
    /// Sets the thread count for OpenBLAS and for the operators' own loops.
    ///
    /// - Precondition: `n >= 1`.
    public static func set(_ n: Int) {
        precondition(n >= 1, "ComputeThreads.set needs at least one thread, got \(n)")
        openblas_set_num_threads(Int32(clamping: n))
    }

    /// The thread count in effect (OpenBLAS's own, so both always agree).
    public static var current: Int {
        max(1, Int(openblas_get_num_threads()))
    }
}
