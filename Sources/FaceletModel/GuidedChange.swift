import FaceletPackage
import FaceletTensor

/// Makes an edit's change follow the photo's detail (a bank's `ChangeGuide`; docs/runtime.md):
/// within every (2ρ+1)² window the change is fitted as an affine function of the photo's
/// colour, ridge-regularised by ε; each pixel's coefficients are the mean of those of the
/// windows that cover it; the change is rebuilt from them and the photo. This is the colour
/// guided filter of He, Sun and Tang (2010) with the photo as the guide and the decoded change
/// as the input. A change that is locally an affine function of colour, as a colour grade is,
/// keeps the photo's full resolution even though the decoder paints it from coarse features,
/// and the part of the decoder's error that the photo's colours do not explain is dropped. A
/// zero change stays exactly zero.
public struct GuidedChange: Sendable, Equatable {
    /// The window radius ρ in pixels.
    public let radius: Int
    /// The ridge term ε added to each window's colour covariance (RGB in [0, 1] units).
    public let epsilon: Double

    /// Makes the filter.
    ///
    /// - Precondition: `radius >= 1`, `epsilon > 0` and finite (`ChangeGuide.validate`).
    public init(radius: Int, epsilon: Double) {
        precondition(radius >= 1 && epsilon > 0 && epsilon.isFinite,
                     "radius must be positive and epsilon positive and finite")
        self.radius = radius
        self.epsilon = epsilon
    }

    /// The filter a bank's manifest describes.
    public init(_ guide: ChangeGuide) {
        self.init(radius: guide.radius, epsilon: guide.epsilon)
    }

    /// The filtered change, `[N, 3, H, W]`.
    ///
    /// - Parameters:
    ///   - change: the change the edit makes, `[N, 3, H, W]`, RGB units.
    ///   - guide: the photo, `[N, 3, H, W]`, RGB in [0, 1].
    public func callAsFunction(_ change: Tensor, guide: Tensor) -> Tensor {
        precondition(change.shape == guide.shape && guide.rank == 4 && guide.c == 3,
                     "expected two [N, 3, H, W] tensors, got \(change.shape), \(guide.shape)")
        var out = Tensor(zeros: change.shape)
        let plane = guide.h * guide.w
        for n in 0..<guide.n {
            let base = n * 3 * plane
            let image = (0..<3).map { Array(guide.data[(base + $0 * plane)..<(base + ($0 + 1) * plane)]) }
            let delta = (0..<3).map { Array(change.data[(base + $0 * plane)..<(base + ($0 + 1) * plane)]) }
            let filtered = filter(delta, guide: image, height: guide.h, width: guide.w)
            for c in 0..<3 {
                out.data.replaceSubrange((base + c * plane)..<(base + (c + 1) * plane),
                                         with: filtered[c])
            }
        }
        return out
    }

    private func filter(_ delta: [[Float]], guide: [[Float]], height: Int, width: Int)
        -> [[Float]] {
        let plane = height * width
        let box = BoxMean(height: height, width: width, radius: radius)
        let meanGuide = guide.map { box($0.map(Double.init)) }
        let meanDelta = delta.map { box($0.map(Double.init)) }
        var products: [[Double]] = []
        for i in 0..<3 {
            for j in i..<3 {
                products.append(box((0..<plane).map { Double(guide[i][$0] * guide[j][$0]) }))
            }
        }
        var cross: [[Double]] = []
        for i in 0..<3 {
            for k in 0..<3 {
                cross.append(box((0..<plane).map { Double(guide[i][$0] * delta[k][$0]) }))
            }
        }

        // Per pixel: M = (Σ + εI)⁻¹ C, β = μ_Δ − Mᵀ μ_x; 9 + 3 coefficient planes.
        var coefficients = [[Double]](repeating: [Double](repeating: 0, count: plane), count: 12)
        let eps = epsilon
        for p in 0..<plane {
            let mu = (meanGuide[0][p], meanGuide[1][p], meanGuide[2][p])
            let s00 = products[0][p] - mu.0 * mu.0 + eps
            let s01 = products[1][p] - mu.0 * mu.1
            let s02 = products[2][p] - mu.0 * mu.2
            let s11 = products[3][p] - mu.1 * mu.1 + eps
            let s12 = products[4][p] - mu.1 * mu.2
            let s22 = products[5][p] - mu.2 * mu.2 + eps
            // The inverse of the symmetric Σ + εI by cofactors (positive definite: ε > 0).
            let c00 = s11 * s22 - s12 * s12
            let c01 = s02 * s12 - s01 * s22
            let c02 = s01 * s12 - s02 * s11
            let c11 = s00 * s22 - s02 * s02
            let c12 = s01 * s02 - s00 * s12
            let c22 = s00 * s11 - s01 * s01
            let determinant = s00 * c00 + s01 * c01 + s02 * c02
            let inverse = [c00, c01, c02, c01, c11, c12, c02, c12, c22].map { $0 / determinant }
            let muGuide = [mu.0, mu.1, mu.2]
            for k in 0..<3 {
                let muDelta = meanDelta[k][p]
                var covariance = [0.0, 0.0, 0.0]
                for i in 0..<3 {
                    covariance[i] = cross[i * 3 + k][p] - muGuide[i] * muDelta
                }
                var beta = muDelta
                for i in 0..<3 {
                    let m = inverse[i * 3] * covariance[0] + inverse[i * 3 + 1] * covariance[1]
                        + inverse[i * 3 + 2] * covariance[2]
                    coefficients[i * 3 + k][p] = m
                    beta -= m * muGuide[i]
                }
                coefficients[9 + k][p] = beta
            }
        }
        let averaged = coefficients.map { box($0) }
        return (0..<3).map { k in
            (0..<plane).map { p in
                var value = averaged[9 + k][p]
                for i in 0..<3 { value += averaged[i * 3 + k][p] * Double(guide[i][p]) }
                return Float(value)
            }
        }
    }
}

/// The mean over the (2ρ+1)² window around each pixel, clipped at the borders, by summed-area
/// tables.
public struct BoxMean {
    let height: Int
    let width: Int
    let radius: Int

    public init(height: Int, width: Int, radius: Int) {
        self.height = height
        self.width = width
        self.radius = radius
    }

    public func callAsFunction(_ values: [Double]) -> [Double] {
        let stride = width + 1
        var table = [Double](repeating: 0, count: (height + 1) * stride)
        for y in 0..<height {
            var row = 0.0
            for x in 0..<width {
                row += values[y * width + x]
                table[(y + 1) * stride + x + 1] = table[y * stride + x + 1] + row
            }
        }
        var out = [Double](repeating: 0, count: height * width)
        for y in 0..<height {
            let top = max(0, y - radius), bottom = min(height, y + radius + 1)
            for x in 0..<width {
                let left = max(0, x - radius), right = min(width, x + radius + 1)
                let sum = table[bottom * stride + right] - table[top * stride + right]
                    - table[bottom * stride + left] + table[top * stride + left]
                out[y * width + x] = sum / Double((bottom - top) * (right - left))
            }
        }
        return out
    }
}
