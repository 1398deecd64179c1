import Foundation
import Testing
@testable import FaceletPackage

@Suite struct DigestTests {
    // FIPS 180-2 test vectors.
    @Test func sha256MatchesKnownVectors() {
        #expect(Digest.sha256(Data()).hex
                == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Digest.sha256(Data("abc".utf8)).hex
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        #expect(Digest.sha256(Data(long.utf8)).description
                == "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func incrementalHashingEqualsOneShot() {
        let bytes = Data((0..<10_000).map { UInt8(truncatingIfNeeded: $0 * 31) })
        var hasher = SHA256Hasher()
        var start = 0
        for size in [1, 0, 7, 64, 1000, 5000] {
            hasher.update(bytes[start..<(start + size)])
            start += size
        }
        hasher.update(bytes[start...])
        #expect(hasher.finalize() == Digest.sha256(bytes))
        let viaPointer = bytes.withUnsafeBytes { Digest.sha256($0) }
        #expect(viaPointer == Digest.sha256(bytes))
    }

    @Test func copiedHasherIsIndependent() {
        var first = SHA256Hasher()
        first.update(Data("ab".utf8))
        var second = first
        second.update(Data("c".utf8))
        let abc = second.finalize()
        first.update(Data("x".utf8))
        #expect(abc == Digest.sha256(Data("abc".utf8)))
        #expect(first.finalize() == Digest.sha256(Data("abx".utf8)))
    }

    @Test func parsesPrefixedAndBareHex() throws {
        let hex = String(repeating: "0123456789abcdef", count: 4)
        #expect(try Digest(parsing: "sha256:" + hex).hex == hex)
        #expect(try Digest(parsing: hex).description == "sha256:" + hex)
        #expect(try Digest(parsing: hex).short == "0123456789ab")
    }

    @Test(arguments: ["", "sha256:", "sha256:abc", "md5:" + String(repeating: "a", count: 64),
                      String(repeating: "A", count: 64), String(repeating: "g", count: 64),
                      "sha256:" + String(repeating: "a", count: 65)])
    func refusesMalformedDigest(_ text: String) {
        #expect(throws: PackageError.self) { try Digest(parsing: text) }
        do {
            _ = try Digest(parsing: text)
        } catch {
            #expect(error.code == .badDigest)
        }
    }

    @Test func codesAsPrefixedString() throws {
        let digest = Digest.sha256(Data("abc".utf8))
        let json = try JSONEncoder().encode([digest])
        #expect(String(decoding: json, as: UTF8.self) == "[\"\(digest.description)\"]")
        #expect(try JSONDecoder().decode([Digest].self, from: json) == [digest])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([Digest].self, from: Data("[\"sha256:zz\"]".utf8))
        }
    }
}
