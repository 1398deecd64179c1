import Foundation
import Testing
@testable import FaceletPackage

/// Damaged packages must always give a thrown `PackageError`, never a crash or a success.
@Suite struct FuzzTests {
    @Test func everyTruncationThrows() throws {
        let data = try Fixtures.bank().data
        let n = data[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        // Every length through the header and the first tensors, then a stride to the end.
        let lengths = Array(0..<min(data.count, 8 + n + 600))
            + Array(stride(from: 8 + n + 600, to: data.count, by: 97))
        for length in lengths {
            #expect(throws: PackageError.self) { try PackageReader.read(data.prefix(length)) }
        }
    }

    @Test func randomByteFlipsNeverCrash() throws {
        let data = try Fixtures.bank().data
        var generator = SplitMix(seed: 0xfacade)
        let original = try Fixtures.bank().package
        var refused = 0
        for _ in 0..<600 {
            var damaged = data
            let flips = 1 + Int(generator.next() % 4)
            for _ in 0..<flips {
                let index = Int(generator.next() % UInt64(damaged.count))
                damaged[index] ^= UInt8(1 << (generator.next() % 8))
            }
            do {
                let package = try PackageReader.read(damaged)
                // A flip in header padding or in manifest text (a description letter) can leave
                // a valid package; the tensors, guarded by their hashes, must be unchanged.
                #expect(package.tensors == original.tensors)
            } catch {
                refused += 1
            }
        }
        #expect(refused > 500)
    }

    @Test func randomBytesAfterAPlausibleLengthThrow() {
        var generator = SplitMix(seed: 7)
        for size in [8, 9, 16, 64, 300] {
            for _ in 0..<40 {
                var data = Data((0..<size).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
                let n = UInt64(generator.next() % UInt64(size))
                withUnsafeBytes(of: n.littleEndian) { data.replaceSubrange(0..<8, with: $0) }
                #expect(throws: PackageError.self) { try PackageReader.read(data) }
            }
        }
    }
}

/// A small deterministic generator for the fuzz tests (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
