import Foundation

/// The Adam optimiser (Kingma and Ba, 2015) with bias correction, over flat float buffers.
///
/// Each parameter is a `[Float]` buffer (a tensor's `data`); the optimiser keeps one first and
/// one second moment buffer per parameter. One call to `update` is one optimisation step:
///
///     m ← β1·m + (1−β1)·g
///     v ← β2·v + (1−β2)·g²
///     p ← p − lr · (m / (1−β1^t)) / (√(v / (1−β2^t)) + ε)
///
/// The state is `Codable` so a checkpoint can store it and a resumed run continue bit for bit.
public struct Adam: Sendable, Equatable, Codable {
    /// The step size.
    public var learningRate: Float
    /// The decay of the first moment (the running mean of the gradient).
    public var beta1: Float
    /// The decay of the second moment (the running mean of the squared gradient).
    public var beta2: Float
    /// Added to the denominator to avoid division by zero.
    public var epsilon: Float
    /// How many steps have been taken (t in the formulas above).
    public private(set) var step: Int
    /// The first moment buffers, one per parameter, same sizes as the parameters.
    public private(set) var firstMoments: [[Float]]
    /// The second moment buffers, one per parameter, same sizes as the parameters.
    public private(set) var secondMoments: [[Float]]

    /// Makes an optimiser for parameters with the given element counts, all moments zero.
    ///
    /// - Parameters:
    ///   - parameterCounts: the element count of each parameter buffer, in update order.
    ///   - learningRate: the step size (1e-3 by default, as in the paper's Adam).
    public init(parameterCounts: [Int], learningRate: Float = 1e-3, beta1: Float = 0.9,
                beta2: Float = 0.999, epsilon: Float = 1e-8) {
        precondition(parameterCounts.allSatisfy { $0 >= 0 }, "Negative parameter count")
        precondition(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1,
                     "Adam's betas must lie in [0, 1)")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.step = 0
        self.firstMoments = parameterCounts.map { [Float](repeating: 0, count: $0) }
        self.secondMoments = parameterCounts.map { [Float](repeating: 0, count: $0) }
    }

    /// Restores an optimiser from saved state (a checkpoint).
    ///
    /// - Precondition: the moment buffers pair up with equal sizes; `step >= 0`.
    public init(restoring step: Int, learningRate: Float, beta1: Float, beta2: Float,
                epsilon: Float, firstMoments: [[Float]], secondMoments: [[Float]]) {
        precondition(step >= 0 && firstMoments.map(\.count) == secondMoments.map(\.count),
                     "Inconsistent Adam state")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.step = step
        self.firstMoments = firstMoments
        self.secondMoments = secondMoments
    }

    /// Takes one step: updates every parameter buffer in place from its gradient.
    ///
    /// - Precondition: `parameters` and `gradients` have one buffer per parameter the optimiser
    ///   was made for, each with the same element count.
    public mutating func update(_ parameters: inout [[Float]], gradients: [[Float]]) {
        precondition(parameters.count == firstMoments.count
                        && gradients.count == firstMoments.count,
                     "Adam was made for \(firstMoments.count) parameters, got "
                        + "\(parameters.count) parameters and \(gradients.count) gradients")
        step += 1
        let correction1 = Float(1 - pow(Double(beta1), Double(step)))
        let correction2 = Float(1 - pow(Double(beta2), Double(step)))
        for index in parameters.indices {
            updateOne(&parameters[index], gradient: gradients[index], index: index,
                      correction1: correction1, correction2: correction2)
        }
    }

    private mutating func updateOne(_ parameter: inout [Float], gradient: [Float], index: Int,
                                    correction1: Float, correction2: Float) {
        let count = firstMoments[index].count
        precondition(parameter.count == count && gradient.count == count,
                     "Adam parameter \(index) has \(count) elements, got \(parameter.count) "
                        + "values and \(gradient.count) gradients")
        let (b1, b2, lr, eps) = (beta1, beta2, learningRate, epsilon)
        firstMoments[index].withUnsafeMutableBufferPointer { m in
            secondMoments[index].withUnsafeMutableBufferPointer { v in
                parameter.withUnsafeMutableBufferPointer { p in
                    gradient.withUnsafeBufferPointer { g in
                        for i in 0 ..< count {
                            m[i] = b1 * m[i] + (1 - b1) * g[i]
                            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                            let mHat = m[i] / correction1
                            let vHat = v[i] / correction2
                            p[i] -= lr * mHat / (vHat.squareRoot() + eps)
                        }
                    }
                }
            }
        }
    }
}
