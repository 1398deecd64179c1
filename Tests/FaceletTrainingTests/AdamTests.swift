import Foundation
import Testing
@testable import FaceletTraining

@Suite struct AdamTests {
    /// A plain, obviously-correct Adam in Double, written from the paper's Algorithm 1.
    private func referenceAdam(_ p0: [[Double]], gradients: [[[Double]]], lr: Double,
                               b1: Double, b2: Double, eps: Double) -> [[Double]] {
        var p = p0
        var m = p0.map { $0.map { _ in 0.0 } }
        var v = m
        for (t, g) in gradients.enumerated() {
            let step = Double(t + 1)
            for i in p.indices {
                for j in p[i].indices {
                    m[i][j] = b1 * m[i][j] + (1 - b1) * g[i][j]
                    v[i][j] = b2 * v[i][j] + (1 - b2) * g[i][j] * g[i][j]
                    let mHat = m[i][j] / (1 - pow(b1, step))
                    let vHat = v[i][j] / (1 - pow(b2, step))
                    p[i][j] -= lr * mHat / (vHat.squareRoot() + eps)
                }
            }
        }
        return p
    }

    @Test func matchesPlainReferenceOverSeveralSteps() {
        var rng = TrainingRandom(seed: 3)
        let start: [[Float]] = [(0 ..< 5).map { _ in rng.nextGaussian() }, [0.5, -0.25]]
        let grads: [[[Float]]] = (0 ..< 6).map { _ in
            [(0 ..< 5).map { _ in rng.nextGaussian() }, (0 ..< 2).map { _ in rng.nextGaussian() }]
        }
        var adam = Adam(parameterCounts: [5, 2], learningRate: 0.01)
        var params = start
        for g in grads { adam.update(&params, gradients: g) }
        let expected = referenceAdam(start.map { $0.map(Double.init) },
                                     gradients: grads.map { $0.map { $0.map(Double.init) } },
                                     lr: 0.01, b1: 0.9, b2: 0.999, eps: 1e-8)
        #expect(adam.step == 6)
        for i in params.indices {
            for j in params[i].indices {
                #expect(abs(Double(params[i][j]) - expected[i][j]) < 1e-5)
            }
        }
    }

    @Test func firstStepMovesEachParameterByTheLearningRate() {
        // With bias correction, step one is lr · g / (|g| + ε) = ±lr for every parameter.
        var adam = Adam(parameterCounts: [3], learningRate: 0.1)
        var params: [[Float]] = [[1, 2, 3]]
        adam.update(&params, gradients: [[4, -0.001, 2]])
        #expect(abs(params[0][0] - 0.9) < 1e-6)
        #expect(abs(params[0][1] - 2.1) < 1e-4)
        #expect(abs(params[0][2] - 2.9) < 1e-6)
    }

    @Test func minimisesAQuadratic() {
        var adam = Adam(parameterCounts: [2], learningRate: 0.05)
        var params: [[Float]] = [[3, -2]]
        for _ in 0 ..< 500 {
            let g = params[0].map { 2 * ($0 - 1) }
            adam.update(&params, gradients: [g])
        }
        #expect(abs(params[0][0] - 1) < 0.02 && abs(params[0][1] - 1) < 0.02)
    }
}
