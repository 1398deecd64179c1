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
        let box = BoxMean(height: guide.h, width: guide.w, radius: radius)
        for n in 0..<guide.n {
            let base = n * 3 * plane
            func channel(_ t: Tensor, _ c: Int) -> ArraySlice<Float> {
                t.data[(base + c * plane)..<(base + (c + 1) * plane)]
            }
            let image = (0..<3).map { Array(channel(guide, $0)) }
            let delta = (0..<3).map { Array(channel(change, $0)) }
            let filtered = filter(delta, guide: image, box: box)
            for c in 0..<3 {
                out.data.replaceSubrange((base + c * plane)..<(base + (c + 1) * plane),
                                         with: filtered[c])
            }
        }
        return out
    }

    // TODO: single-threaded; it keeps 21 float planes of the photo's size at its peak (about
    // 340 MB at 4 megapixels). Measure it in facelet-bench, then compute by bands of rows in
    // parallel, or fit at a reduced resolution (He and Sun's fast guided filter).
    private func filter(_ delta: [[Float]], guide: [[Float]], box: BoxMean) -> [[Float]] {
        let plane = box.height * box.width
        // Window means of x_i, Δ_k, x_i·x_j (i ≤ j) and x_i·Δ_k.
        let meanGuide = guide.map { box($0) }
        let meanDelta = delta.map { box($0) }
        var products: [[Float]] = []
        for i in 0..<3 {
            for j in i..<3 {
                products.append(box(zip(guide[i], guide[j]).map { $0 * $1 }))
            }
        }
        var cross: [[Float]] = []
        for i in 0..<3 {
            for k in 0..<3 {
                cross.append(box(zip(guide[i], delta[k]).map { $0 * $1 }))
            }
        }

        // Per window: M = (Σ + εI)⁻¹ C (coefficient i·3 + k maps x_i to Δ_k) and
        // β_k = μ_Δk − Σ_i M_ik μ_xi: 9 + 3 coefficient planes.
        var coefficients = [[Float]](repeating: [Float](repeating: 0, count: plane), count: 12)
        for p in 0..<plane {
            let mu = [Double(meanGuide[0][p]), Double(meanGuide[1][p]), Double(meanGuide[2][p])]
            let s00 = Double(products[0][p]) - mu[0] * mu[0] + epsilon
            let s01 = Double(products[1][p]) - mu[0] * mu[1]
            let s02 = Double(products[2][p]) - mu[0] * mu[2]
            let s11 = Double(products[3][p]) - mu[1] * mu[1] + epsilon
            let s12 = Double(products[4][p]) - mu[1] * mu[2]
            let s22 = Double(products[5][p]) - mu[2] * mu[2] + epsilon
            // The inverse of the symmetric Σ + εI by cofactors (positive definite: ε > 0).
            let c00 = s11 * s22 - s12 * s12
            let c01 = s02 * s12 - s01 * s22
            let c02 = s01 * s12 - s02 * s11
            let c11 = s00 * s22 - s02 * s02
            let c12 = s01 * s02 - s00 * s12
            let c22 = s00 * s11 - s01 * s01
            let scale = 1 / (s00 * c00 + s01 * c01 + s02 * c02)
            let inverse = [c00, c01, c02, c01, c11, c12, c02, c12, c22]
            var window = [Float](repeating: 0, count: 12)
            for k in 0..<3 {
                let muDelta = Double(meanDelta[k][p])
                let covariance = (0..<3).map { i in
                    Double(cross[i * 3 + k][p]) - mu[i] * muDelta
                }
                var beta = muDelta
                for i in 0..<3 {
                    let m = scale * (inverse[i * 3] * covariance[0]
                                     + inverse[i * 3 + 1] * covariance[1]
                                     + inverse[i * 3 + 2] * covariance[2])
                    window[i * 3 + k] = Float(m)
                    beta -= m * mu[i]
                }
                window[9 + k] = Float(beta)
            }
            if !window.allSatisfy(\.isFinite) {
                // A window whose fit overflowed (only possible below ChangeGuide's smallest
                // epsilon) keeps its mean change, with no colour dependence.
                window = [Float](repeating: 0, count: 9) + (0..<3).map { meanDelta[$0][p] }
            }
            for c in 0..<12 { coefficients[c][p] = window[c] }
        }
        products = []
        cross = []

        // Each pixel: the mean coefficients of the windows covering it, applied to its colour.
        var out = [[Float]](repeating: [Float](repeating: 0, count: plane), count: 3)
        for k in 0..<3 {
            out[k] = box(coefficients[9 + k])
            for i in 0..<3 {
                let averaged = box(coefficients[i * 3 + k])
                for p in 0..<plane { out[k][p] += averaged[p] * guide[i][p] }
            }
        }
        return out
    }
}

/// The mean over the (2ρ+1)² window around each pixel, clipped at the borders, by a
/// summed-area table (kept in double precision, so the means do not drift on large photos).
struct BoxMean {
    let height: Int
    let width: Int
    let radius: Int

    func callAsFunction(_ values: [Float]) -> [Float] {
        let stride = width + 1
        var table = [Double](repeating: 0, count: (height + 1) * stride)
        for y in 0..<height {
            var row = 0.0
            for x in 0..<width {
                row += Double(values[y * width + x])
                table[(y + 1) * stride + x + 1] = table[y * stride + x + 1] + row
            }
        }
        var out = [Float](repeating: 0, count: height * width)
        for y in 0..<height {
            let top = max(0, y - radius), bottom = min(height, y + radius + 1)
            for x in 0..<width {
                let left = max(0, x - radius), right = min(width, x + radius + 1)
                let sum = table[bottom * stride + right] - table[top * stride + right]
                    - table[bottom * stride + left] + table[top * stride + left]
                out[y * width + x] = Float(sum / Double((bottom - top) * (right - left)))
            }
        }
        return out
    }
}
