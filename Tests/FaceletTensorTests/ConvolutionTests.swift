import Testing
@testable import FaceletTensor

/// One convolution shape to check.
struct ConvCase: CustomTestStringConvertible, Sendable {
    let batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int, kernel: Int
    let padding: Padding

    var testDescription: String {
        "N\(batch) \(inChannels)->\(outChannels) \(height)x\(width) k\(kernel) \(padding)"
    }

    /// Inner-loop steps of a finite-difference check: two reference convolutions per input
    /// and weight element.
    var finiteDifferenceCost: Int {
        let elements = batch * inChannels * height * width
            + outChannels * inChannels * kernel * kernel
        return 2 * elements * batch * outChannels * height * width * inChannels * kernel * kernel
    }

    var seed: UInt64 {
        UInt64(batch * 1_000_003 + inChannels * 10_007 + outChannels * 101 + height * 31
               + width * 7 + kernel) &* 2_654_435_761 &+ UInt64(padding.rawValue.count)
    }
}

let convCases: [ConvCase] = [
    ConvCase(batch: 1, inChannels: 1, outChannels: 1, height: 1, width: 1, kernel: 1,
             padding: .zero),
    ConvCase(batch: 1, inChannels: 1, outChannels: 2, height: 1, width: 1, kernel: 3,
             padding: .zero),
    ConvCase(batch: 1, inChannels: 2, outChannels: 3, height: 2, width: 3, kernel: 3,
             padding: .reflect),
    ConvCase(batch: 2, inChannels: 2, outChannels: 2, height: 2, width: 2, kernel: 3,
             padding: .reflect),
    ConvCase(batch: 2, inChannels: 3, outChannels: 2, height: 5, width: 7, kernel: 3,
             padding: .zero),
    ConvCase(batch: 2, inChannels: 3, outChannels: 4, height: 5, width: 7, kernel: 3,
             padding: .reflect),
    ConvCase(batch: 1, inChannels: 3, outChannels: 4, height: 5, width: 7, kernel: 3,
             padding: .replicate),
    ConvCase(batch: 1, inChannels: 40, outChannels: 17, height: 17, width: 13, kernel: 3,
             padding: .reflect),
    ConvCase(batch: 2, inChannels: 17, outChannels: 38, height: 17, width: 13, kernel: 3,
             padding: .zero),
    ConvCase(batch: 2, inChannels: 5, outChannels: 38, height: 17, width: 13, kernel: 1,
             padding: .reflect),
    ConvCase(batch: 1, inChannels: 3, outChannels: 5, height: 9, width: 11, kernel: 5,
             padding: .reflect),
    ConvCase(batch: 1, inChannels: 2, outChannels: 3, height: 1, width: 6, kernel: 5,
             padding: .zero),
]

@Suite("Convolution against the nested-loop reference")
struct ConvolutionTests {
    /// Tolerance for float32 against Double: max error / max |reference| (at least 1).
    static let tolerance = 1e-5

    @Test("conv2d forward matches the reference", arguments: convCases)
    func forwardMatchesReference(_ shape: ConvCase) {
        var random = SeededRandom(state: shape.seed)
        let x = random.tensor([shape.batch, shape.inChannels, shape.height, shape.width])
        let w = random.tensor([shape.outChannels, shape.inChannels, shape.kernel, shape.kernel])
        let b = random.tensor([shape.outChannels])
        for relu in [false, true] {
            let ours = Ops.conv2d(x, weight: w, bias: b, padding: shape.padding, relu: relu)
            let reference = Naive.conv2d(RefArray(x), RefArray(w), RefArray(b), shape.padding,
                                         relu: relu)
            #expect(ours.shape == [shape.batch, shape.outChannels, shape.height, shape.width])
            #expect(relativeError(ours, reference) < Self.tolerance)
        }
        let unbiased = Ops.conv2d(x, weight: w, bias: nil, padding: shape.padding)
        let reference = Naive.conv2d(RefArray(x), RefArray(w), nil, shape.padding)
        #expect(relativeError(unbiased, reference) < Self.tolerance)
    }

    @Test("conv2d backward matches the scattering reference", arguments: convCases)
    func backwardMatchesReference(_ shape: ConvCase) throws {
        var random = SeededRandom(state: shape.seed ^ 0xABCDEF)
        let x = random.tensor([shape.batch, shape.inChannels, shape.height, shape.width])
        let w = random.tensor([shape.outChannels, shape.inChannels, shape.kernel, shape.kernel])
        let g = random.tensor([shape.batch, shape.outChannels, shape.height, shape.width])
        let ours = Gradients.conv2d(x, weight: w, padding: shape.padding, gradOutput: g,
                                    needInputGradient: true)
        let reference = Naive.conv2dBackward(RefArray(x), RefArray(w), shape.padding,
                                             RefArray(g))
        let input = try #require(ours.input)
        #expect(relativeError(input, reference.input) < Self.tolerance)
        #expect(relativeError(ours.weight, reference.weight) < Self.tolerance)
        #expect(relativeError(ours.bias, reference.bias) < Self.tolerance)

        let withoutInput = Gradients.conv2d(x, weight: w, padding: shape.padding, gradOutput: g,
                                            needInputGradient: false)
        #expect(withoutInput.input == nil)
        #expect(withoutInput.weight == ours.weight)
        #expect(withoutInput.bias == ours.bias)
    }

    @Test("conv2d backward matches finite differences of sum(g * conv)",
          arguments: convCases.filter { $0.finiteDifferenceCost <= 5_000_000 })
    func backwardMatchesFiniteDifferences(_ shape: ConvCase) throws {
        var random = SeededRandom(state: shape.seed ^ 0x5EED)
        let x = random.tensor([shape.batch, shape.inChannels, shape.height, shape.width])
        let w = random.tensor([shape.outChannels, shape.inChannels, shape.kernel, shape.kernel])
        let b = random.tensor([shape.outChannels])
        let g = random.tensor([shape.batch, shape.outChannels, shape.height, shape.width])
        let (rx, rw, rb, rg) = (RefArray(x), RefArray(w), RefArray(b), RefArray(g))
        let ours = Gradients.conv2d(x, weight: w, padding: shape.padding, gradOutput: g,
                                    needInputGradient: true)

        let mode = shape.padding
        let numericInput = numericalGradient(rx) { dot(rg, Naive.conv2d($0, rw, rb, mode)) }
        let numericWeight = numericalGradient(rw) { dot(rg, Naive.conv2d(rx, $0, rb, mode)) }
        let numericBias = numericalGradient(rb) { dot(rg, Naive.conv2d(rx, rw, $0, mode)) }
        #expect(relativeError(try #require(ours.input), numericInput) < 1e-5)
        #expect(relativeError(ours.weight, numericWeight) < 1e-5)
        #expect(relativeError(ours.bias, numericBias) < 1e-5)
    }

    @Test("conv2d gives the same result over many row bands, including a short last band",
          arguments: [Padding.zero, .reflect, .replicate], [1, 2, 5])
    func manyBandsMatchReference(padding: Padding, rowsPerBand: Int) throws {
        let (batch, inChannels, outChannels, height, width) = (2, 3, 4, 11, 6)
        let layout = ConvolutionLayout(inChannels: inChannels, height: height, width: width,
                                       kernel: 3, padding: padding,
                                       bandBudget: inChannels * 9 * width * rowsPerBand)
        #expect(layout.bandRows == rowsPerBand)
        var random = SeededRandom(state: 77 + UInt64(rowsPerBand))
        let x = random.tensor([batch, inChannels, height, width])
        let w = random.tensor([outChannels, inChannels, 3, 3])
        let b = random.tensor([outChannels])
        let g = random.tensor([batch, outChannels, height, width])
        let ours = Ops.conv2d(x, weight: w, bias: b, padding: padding, relu: true,
                              bandBudget: layout.bandBudget)
        let reference = Naive.conv2d(RefArray(x), RefArray(w), RefArray(b), padding, relu: true)
        #expect(relativeError(ours, reference) < Self.tolerance)

        let gradients = Gradients.conv2d(x, weight: w, padding: padding, gradOutput: g,
                                         needInputGradient: true,
                                         bandBudget: layout.bandBudget)
        let expected = Naive.conv2dBackward(RefArray(x), RefArray(w), padding, RefArray(g))
        #expect(relativeError(try #require(gradients.input), expected.input) < Self.tolerance)
        #expect(relativeError(gradients.weight, expected.weight) < Self.tolerance)
        #expect(relativeError(gradients.bias, expected.bias) < Self.tolerance)
    }

    @Test("the band buffer stays bounded for a 2048x2048 64-channel layer")
    func bandBufferIsBoundedForLargeImages() {
        let layout = ConvolutionLayout(inChannels: 64, height: 2048, width: 2048, kernel: 3,
                                       padding: .reflect)
        #expect(layout.bandBudget == ConvolutionLayout.defaultBandBudget)
        let bandFloats = layout.patch * layout.bandRows * layout.width
        // One row of columns is 64 * 9 * 2048 floats; the band holds just that one row, a
        // 1/2048 share of the 9x-activation buffer a full im2col would need.
        #expect(layout.bandRows == 1)
        #expect(bandFloats == 64 * 9 * 2048)
        #expect(bandFloats * 100 < 64 * 2048 * 2048)
    }
}
