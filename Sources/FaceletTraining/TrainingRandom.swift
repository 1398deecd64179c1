import Foundation

/// The SplitMix64 pseudo-random generator (Steele, Lea and Flood, 2014), seeded.
///
/// Training uses its own generator rather than the system one so that the same seed gives the
/// same crops, the same initial weights and the same mini-batch order on every platform and
/// Swift version; its whole state is one `UInt64`, which checkpoints store.
public struct TrainingRandom: RandomNumberGenerator, Sendable, Equatable, Codable {
    /// The generator's state; the next output is a function of it alone.
    public var state: UInt64

    /// Makes a generator from a seed.
    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform float in [0, 1), from the top 24 bits (exact in float32).
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A uniform double in [0, 1), from the top 53 bits.
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A uniform integer in `0 ..< bound`, without modulo bias (Lemire's method).
    ///
    /// - Precondition: `bound > 0`.
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt(below:) needs a positive bound")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = next().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }

    /// A normally distributed float (Box-Muller), mean 0 and standard deviation 1.
    public mutating func nextGaussian() -> Float {
        let u1 = max(nextUnitDouble(), 1e-300)
        let u2 = nextUnitDouble()
        return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
    }

    /// The indices `0 ..< count` in a random order (Fisher-Yates with this generator).
    public mutating func permutation(_ count: Int) -> [Int] {
        var order = Array(0 ..< count)
        if count < 2 { return order }
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = nextInt(below: i + 1)
            order.swapAt(i, j)
        }
        return order
    }
}
