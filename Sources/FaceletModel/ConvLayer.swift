import FaceletTensor

/// One stride-1, size-keeping convolution with its optional batch normalisation and ReLU, its
/// weights already converted to tensors.
struct ConvLayer: Sendable {
    /// How the convolution's output is normalised before the activation.
    enum Normalisation: Sendable {
        /// The stored running statistics.
        case running(gamma: Tensor, beta: Tensor, mean: Tensor, variance: Tensor)
        /// The statistics of the image itself (per channel over N, H, W).
        case instance(gamma: Tensor, beta: Tensor)
    }

    /// PyTorch's `BatchNorm2d` default.
    static let batchNormEpsilon: Float = 1e-5

    /// The layer's name in the package (`encoder.conv1_1`, `relu3_1.0`, …).
    let name: String
    /// `[out, in, k, k]`.
    let weight: Tensor
    /// `[out]`.
    let bias: Tensor
    /// The border mode.
    let padding: Padding
    /// Whether a ReLU follows.
    let relu: Bool
    /// The batch normalisation between convolution and activation, if any.
    let normalisation: Normalisation?
    /// The weight and bias made ready once (Winograd filter transforms for 3×3 kernels), so
    /// every run takes the engine's fast path.
    let prepared: PreparedConvolution

    /// Makes a layer and prepares its convolution.
    init(name: String, weight: Tensor, bias: Tensor, padding: Padding, relu: Bool,
         normalisation: Normalisation?) {
        self.name = name
        self.weight = weight
        self.bias = bias
        self.padding = padding
        self.relu = relu
        self.normalisation = normalisation
        prepared = PreparedConvolution(weight: weight, bias: bias)
    }

    /// Input channels.
    var inputChannels: Int { weight.shape[1] }
    /// Output channels.
    var outputChannels: Int { weight.shape[0] }

    /// Runs the layer on an NCHW tensor.
    ///
    /// Reflection needs the border to be narrower than the feature map; on a map that is too
    /// small for it (a 1-pixel-wide deep level of a tiny photo) the layer replicates the edge
    /// instead, which is what reflection degenerates to on a single row or column.
    func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.c == inputChannels,
                     "layer \(name) takes \(inputChannels) channels, got \(x.c)")
        let radius = weight.shape[2] / 2
        var mode = padding
        if mode == .reflect && (x.h <= radius || x.w <= radius) { mode = .replicate }

        guard let normalisation else {
            return Ops.conv2d(x, prepared: prepared, padding: mode, relu: relu)
        }
        let y = Ops.conv2d(x, prepared: prepared, padding: mode, relu: false)
        let normalised: Tensor
        switch normalisation {
        case let .running(gamma, beta, mean, variance):
            normalised = Ops.batchNorm(y, gamma: gamma, beta: beta, mean: mean,
                                       variance: variance, epsilon: Self.batchNormEpsilon)
        case let .instance(gamma, beta):
            normalised = Ops.instanceBatchNorm(y, gamma: gamma, beta: beta,
                                               epsilon: Self.batchNormEpsilon)
        }
        return relu ? Ops.relu(normalised) : normalised
    }
}
