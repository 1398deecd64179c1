/// How a convolution or `Ops.pad` fills positions outside the image.
public enum Padding: String, Sendable, Codable {
    /// Zeros outside the image.
    case zero
    /// Mirror without repeating the edge (PyTorch `ReflectionPad2d`): `-1 -> 1`, `W -> W - 2`.
    case reflect
    /// Repeat the edge value (PyTorch `ReplicationPad2d`).
    case replicate
}

/// The interpolation of a 2x upsampling.
public enum UpsampleMode: String, Sendable, Codable {
    /// Each input pixel becomes a 2x2 block.
    case nearest
    /// Bilinear with `align_corners=True` semantics: the corner pixels of input and output
    /// coincide, and output position `o` samples input position `o * (in - 1) / (out - 1)`.
    case bilinear
}

extension Padding {
    /// The source index for position `i` of a line of `size` samples, or `nil` for a zero.
    ///
    /// Reflection handles one bounce only, so `i` must lie in `-(size - 1) ... 2 * size - 2`.
    @inline(__always)
    func sourceIndex(_ i: Int, size: Int) -> Int? {
        if i >= 0 && i < size { return i }
        switch self {
        case .zero:
            return nil
        case .replicate:
            return i < 0 ? 0 : size - 1
        case .reflect:
            return i < 0 ? -i : 2 * (size - 1) - i
        }
    }
}
