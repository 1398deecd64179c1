/// A dense float32 tensor stored row-major.
///
/// Four-dimensional tensors are laid out NCHW: batch, channels, height, width, with width
/// varying fastest. Element `(n, c, y, x)` lives at `((n * C + c) * H + y) * W + x`.
public struct Tensor: Sendable, Equatable {
    /// The extent of each dimension, outermost first (NCHW for images and feature maps).
    public var shape: [Int]
    /// The elements in row-major order; `data.count` equals the product of `shape`.
    public var data: [Float]

    /// Makes a tensor from a shape and its row-major elements.
    ///
    /// - Precondition: every extent is non-negative and `data.count` is their product.
    public init(shape: [Int], data: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor shape \(shape) has a negative extent")
        precondition(data.count == Tensor.elementCount(shape),
                     "Tensor shape \(shape) needs \(Tensor.elementCount(shape)) elements, "
                        + "got \(data.count)")
        self.shape = shape
        self.data = data
    }

    /// Makes a tensor of the given shape filled with zeros.
    ///
    /// - Precondition: every extent is non-negative.
    public init(zeros shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor shape \(shape) has a negative extent")
        self.shape = shape
        self.data = [Float](repeating: 0, count: Tensor.elementCount(shape))
    }

    /// Makes a tensor of the given shape with every element equal to `value`.
    public init(repeating value: Float, shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor shape \(shape) has a negative extent")
        self.shape = shape
        self.data = [Float](repeating: value, count: Tensor.elementCount(shape))
    }

    /// The number of elements.
    public var count: Int { data.count }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The batch size N of a rank-4 (NCHW) tensor.
    public var n: Int { requireRank4(); return shape[0] }
    /// The channel count C of a rank-4 (NCHW) tensor.
    public var c: Int { requireRank4(); return shape[1] }
    /// The height H of a rank-4 (NCHW) tensor.
    public var h: Int { requireRank4(); return shape[2] }
    /// The width W of a rank-4 (NCHW) tensor.
    public var w: Int { requireRank4(); return shape[3] }

    /// The element at `(n, c, y, x)` of a rank-4 tensor.
    public subscript(n: Int, c: Int, y: Int, x: Int) -> Float {
        get { data[offset(n, c, y, x)] }
        set { data[offset(n, c, y, x)] = newValue }
    }

    /// The same elements under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, data: data)
    }

    /// The product of the extents of `shape` (1 for a scalar shape `[]`).
    ///
    /// Traps on overflow: for shapes read from files use `checkedElementCount` first.
    public static func elementCount(_ shape: [Int]) -> Int {
        shape.reduce(1, *)
    }

    /// The product of the extents of `shape`, or `nil` when an extent is negative or the
    /// product overflows `Int`: the check to run on shapes that come from untrusted input.
    public static func checkedElementCount(_ shape: [Int]) -> Int? {
        var product = 1
        for extent in shape {
            guard extent >= 0 else { return nil }
            let (next, overflow) = product.multipliedReportingOverflow(by: extent)
            guard !overflow else { return nil }
            product = next
        }
        return product
    }

    private func offset(_ n: Int, _ c: Int, _ y: Int, _ x: Int) -> Int {
        requireRank4()
        precondition(n >= 0 && n < shape[0] && c >= 0 && c < shape[1]
                        && y >= 0 && y < shape[2] && x >= 0 && x < shape[3],
                     "Index (\(n), \(c), \(y), \(x)) outside shape \(shape)")
        return ((n * shape[1] + c) * shape[2] + y) * shape[3] + x
    }

    private func requireRank4() {
        precondition(shape.count == 4, "Expected an NCHW tensor of rank 4, got shape \(shape)")
    }
}
