extension Gradients {
    /// The gradients of `Ops.conv2d` (before any fused ReLU) with respect to its input, weight
    /// and bias.
    ///
    /// `gradOutput` is `[N, out, H, W]`, the loss gradient at the convolution's output, already
    /// passed back through any ReLU (see `Gradients.relu`). The weight gradient is `[out, in,
    /// k, k]` and the bias gradient `[out]`, both summed over the batch. The input gradient
    /// (`[N, in, H, W]`) is computed only when `needInputGradient` is set; positions that
    /// `padding` copied from the image add their gradient back to the pixel they copied.
    /// Products run through `sgemm` over the same bounded bands of rows as the forward pass.
    ///
    /// - Precondition: the shapes of `Ops.conv2d`, and `gradOutput` `[N, out, H, W]`.
    public static func conv2d(_ x: Tensor, weight: Tensor, padding: Padding, gradOutput: Tensor,
                              needInputGradient: Bool)
        -> (input: Tensor?, weight: Tensor, bias: Tensor) {
        conv2d(x, weight: weight, padding: padding, gradOutput: gradOutput,
               needInputGradient: needInputGradient,
               bandBudget: ConvolutionLayout.defaultBandBudget)
    }

    /// `conv2d` backward with an explicit band budget (floats per column buffer), for tests.
    static func conv2d(_ x: Tensor, weight: Tensor, padding: Padding, gradOutput: Tensor,
                       needInputGradient: Bool, bandBudget: Int)
        -> (input: Tensor?, weight: Tensor, bias: Tensor) {
        precondition(weight.rank == 4 && x.rank == 4 && weight.shape[1] == x.shape[1]
                        && weight.shape[2] == weight.shape[3] && weight.shape[0] >= 1
                        && x.shape[1] >= 1,
                     "conv2d backward: weight \(weight.shape) does not fit input \(x.shape)")
        let outChannels = weight.shape[0]
        precondition(gradOutput.shape == [x.n, outChannels, x.h, x.w],
                     "conv2d backward: gradOutput \(gradOutput.shape) is not "
                        + "\([x.n, outChannels, x.h, x.w])")
        let layout = ConvolutionLayout(inChannels: x.c, height: x.h, width: x.w,
                                       kernel: weight.shape[2], padding: padding,
                                       bandBudget: bandBudget)
        var gradInput = needInputGradient ? Tensor(zeros: x.shape) : nil
        var gradWeight = Tensor(zeros: weight.shape)
        let gradBias = biasGradient(gradOutput)
        guard x.count > 0 else { return (gradInput, gradWeight, gradBias) }

        let plane = layout.plane
        let bandRows = layout.bandRows
        let columnCount = layout.kernel == 1 ? 0 : layout.patch * bandRows * layout.width
        var column = [Float](repeating: 0, count: columnCount)
        var columnGrad = [Float](repeating: 0, count: needInputGradient ? columnCount : 0)
        var gradInputData = gradInput?.data ?? []
        x.data.withUnsafeBufferPointer { input in
        weight.data.withUnsafeBufferPointer { weights in
        gradOutput.data.withUnsafeBufferPointer { gradOut in
        gradWeight.data.withUnsafeMutableBufferPointer { gradW in
        gradInputData.withUnsafeMutableBufferPointer { gradIn in
        column.withUnsafeMutableBufferPointer { columnBuffer in
        columnGrad.withUnsafeMutableBufferPointer { columnGradBuffer in
            for image in 0..<x.n {
                let source = input.baseAddress! + image * layout.inChannels * plane
                let gradients = gradOut.baseAddress! + image * outChannels * plane
                for firstRow in stride(from: 0, to: layout.height, by: bandRows) {
                    let rows = min(bandRows, layout.height - firstRow)
                    let span = rows * layout.width
                    let bandGrad = gradients + firstRow * layout.width
                    let operand: UnsafePointer<Float>
                    let operandStride: Int
                    if layout.kernel == 1 {
                        operand = source + firstRow * layout.width
                        operandStride = plane
                    } else {
                        layout.im2col(source, firstRow: firstRow, rows: rows,
                                      into: columnBuffer.baseAddress!)
                        operand = UnsafePointer(columnBuffer.baseAddress!)
                        operandStride = span
                    }
                    // dW[out, patch] += dY[out, span] * columns[patch, span]^T
                    sgemm(transposeB: true, m: outChannels, n: layout.patch, k: span,
                          a: bandGrad, lda: plane, b: operand, ldb: operandStride,
                          beta: 1, c: gradW.baseAddress!, ldc: layout.patch)
                    guard needInputGradient else { continue }
                    let imageGrad = gradIn.baseAddress! + image * layout.inChannels * plane
                    // dColumns[patch, span] = W[out, patch]^T * dY[out, span]
                    if layout.kernel == 1 {
                        sgemm(transposeA: true, m: layout.patch, n: span, k: outChannels,
                              a: weights.baseAddress!, lda: layout.patch,
                              b: bandGrad, ldb: plane,
                              beta: 0, c: imageGrad + firstRow * layout.width, ldc: plane)
                    } else {
                        sgemm(transposeA: true, m: layout.patch, n: span, k: outChannels,
                              a: weights.baseAddress!, lda: layout.patch,
                              b: bandGrad, ldb: plane,
                              beta: 0, c: columnGradBuffer.baseAddress!, ldc: span)
                        layout.col2imAdd(columnGradBuffer.baseAddress!, firstRow: firstRow,
                                         rows: rows, into: imageGrad)
                    }
                }
            }
        }
        }
        }
        }
        }
        }
        }
        if needInputGradient { gradInput = Tensor(shape: x.shape, data: gradInputData) }
        return (gradInput, gradWeight, gradBias)
    }

    /// The bias gradient: `gradOutput` summed over N, H and W per channel, in Double.
    private static func biasGradient(_ gradOutput: Tensor) -> Tensor {
        let (batch, channels, plane) = (gradOutput.n, gradOutput.c, gradOutput.h * gradOutput.w)
        var sums = [Double](repeating: 0, count: channels)
        gradOutput.data.withUnsafeBufferPointer { values in
            for image in 0..<batch {
                for c in 0..<channels {
                    let row = values.baseAddress! + (image * channels + c) * plane
                    var sum: Float = 0
                    for i in 0..<plane { sum += row[i] }
                    sums[c] += Double(sum)
                }
            }
        }
        return Tensor(shape: [channels], data: sums.map { Float($0) })
    }
}
