/// The backward passes of `Ops`, for training: each maps the loss gradient at an operator's
/// output to the gradients at its inputs and parameters.
public enum Gradients {}

extension Gradients {
    /// The gradient through a ReLU, given its output `y`: `gradOutput` where `y > 0`, else 0.
    ///
    /// - Precondition: equal shapes.
    public static func relu(_ y: Tensor, gradOutput: Tensor) -> Tensor {
        precondition(y.shape == gradOutput.shape,
                     "relu backward: shapes \(y.shape) and \(gradOutput.shape) differ")
        var out = gradOutput
        out.data.withUnsafeMutableBufferPointer { gradients in
            y.data.withUnsafeBufferPointer { outputs in
                for i in 0..<gradients.count where !(outputs[i] > 0) { gradients[i] = 0 }
            }
        }
        return out
    }

    /// The gradient through `Ops.maxPool2x2`: each output's gradient goes to the first maximum
    /// of its 2x2 window (row-major order, as PyTorch); dropped rows/columns get zero.
    ///
    /// - Precondition: `x` rank 4 and `gradOutput` `[N, C, H / 2, W / 2]`.
    public static func maxPool2x2(_ x: Tensor, gradOutput: Tensor) -> Tensor {
        let (height, width) = (x.h, x.w)
        let (outHeight, outWidth) = (height / 2, width / 2)
        precondition(gradOutput.shape == [x.n, x.c, outHeight, outWidth],
                     "maxPool2x2 backward: gradOutput \(gradOutput.shape) does not fit \(x.shape)")
        var gradInput = Tensor(zeros: x.shape)
        x.data.withUnsafeBufferPointer { input in
        gradOutput.data.withUnsafeBufferPointer { gradOut in
        gradInput.data.withUnsafeMutableBufferPointer { gradIn in
            for plane in 0..<(x.n * x.c) {
                let src = input.baseAddress! + plane * height * width
                let dst = gradIn.baseAddress! + plane * height * width
                let grads = gradOut.baseAddress! + plane * outHeight * outWidth
                for oy in 0..<outHeight {
                    for ox in 0..<outWidth {
                        var best = (2 * oy) * width + 2 * ox
                        for candidate in [best + 1, best + width, best + width + 1]
                        where src[candidate] > src[best] {
                            best = candidate
                        }
                        dst[best] += grads[oy * outWidth + ox]
                    }
                }
            }
        }
        }
        }
        return gradInput
    }

    /// The gradient through `Ops.upsample2x`: each output's gradient goes back to the input
    /// pixels it was interpolated from, with the same weights.
    ///
    /// - Precondition: `inputShape` `[N, C, H, W]` and `gradOutput` `[N, C, 2H, 2W]`.
    public static func upsample2x(_ gradOutput: Tensor, inputShape: [Int],
                                  mode: UpsampleMode) -> Tensor {
        precondition(inputShape.count == 4, "upsample2x backward: input shape \(inputShape)")
        let (height, width) = (inputShape[2], inputShape[3])
        let (outHeight, outWidth) = (2 * height, 2 * width)
        precondition(gradOutput.shape == [inputShape[0], inputShape[1], outHeight, outWidth],
                     "upsample2x backward: gradOutput \(gradOutput.shape) does not fit "
                        + "\(inputShape)")
        var gradInput = Tensor(zeros: inputShape)
        let rows = BilinearAxis(inputSize: height, outputSize: outHeight)
        let columns = BilinearAxis(inputSize: width, outputSize: outWidth)
        gradOutput.data.withUnsafeBufferPointer { gradOut in
        gradInput.data.withUnsafeMutableBufferPointer { gradIn in
            for plane in 0..<(inputShape[0] * inputShape[1]) {
                let src = gradOut.baseAddress! + plane * outHeight * outWidth
                let dst = gradIn.baseAddress! + plane * height * width
                for oy in 0..<outHeight {
                    let gradRow = src + oy * outWidth
                    switch mode {
                    case .nearest:
                        let row = dst + (oy / 2) * width
                        for ox in 0..<outWidth { row[ox / 2] += gradRow[ox] }
                    case .bilinear:
                        let (y0, y1, fy) = rows.taps[oy]
                        let row0 = dst + y0 * width
                        let row1 = dst + y1 * width
                        for ox in 0..<outWidth {
                            let (x0, x1, fx) = columns.taps[ox]
                            let g = gradRow[ox]
                            row0[x0] += g * (1 - fy) * (1 - fx)
                            row0[x1] += g * (1 - fy) * fx
                            row1[x0] += g * fy * (1 - fx)
                            row1[x1] += g * fy * fx
                        }
                    }
                }
            }
        }
        }
        return gradInput
    }

    /// The mean squared error over all elements and its gradient with respect to
    /// `prediction`: `loss = Σ (p - t)² / count`, `gradient = 2 (p - t) / count`.
    ///
    /// - Precondition: equal shapes, at least one element.
    public static func meanSquaredError(_ prediction: Tensor, _ target: Tensor)
        -> (loss: Float, gradient: Tensor) {
        precondition(prediction.shape == target.shape,
                     "meanSquaredError: shapes \(prediction.shape) and \(target.shape) differ")
        precondition(prediction.count > 0, "meanSquaredError of an empty tensor")
        let count = prediction.count
        var gradient = prediction
        var sum = 0.0
        gradient.data.withUnsafeMutableBufferPointer { values in
            target.data.withUnsafeBufferPointer { targets in
                let scale = 2 / Float(count)
                for i in 0..<count {
                    let difference = values[i] - targets[i]
                    sum += Double(difference) * Double(difference)
                    values[i] = scale * difference
                }
            }
        }
        return (Float(sum / Double(count)), gradient)
    }
}
