import Foundation
import Testing
@testable import FaceletPackage

@Suite struct SignatureTests {
    private let digest = SignatureFixtures.digest

    private func expectCode(_ code: SignatureError.Code,
                            _ body: () throws(SignatureError) -> Void,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("expected \(code), nothing was thrown", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        }
    }

    // MARK: - Signing and verifying

    @Test func signatureRoundTripVerifies() throws {
        let key = try SigningKey.generate()
        let record = try key.sign(contentDigest: digest)

        #expect(record.algorithm == "ed25519")
        #expect(record.keyID == key.publicKey.keyID.text)
        #expect(Data(base64Encoded: record.publicKey)?.count == 32)
        #expect(Data(base64Encoded: record.signature)?.count == 64)
        try record.verify(contentDigest: digest)
        #expect(try record.checkedPublicKey() == key.publicKey)
    }

    @Test func keyIDIsThePrefixOfTheSHA256OfTheRawPublicKey() throws {
        let key = try SigningKey.generate()
        let expected = "ed25519:" + Digest.sha256(key.publicKey.raw).hex.prefix(32)
        #expect(key.publicKey.keyID.text == expected)
        #expect(key.publicKey.keyID.text.count == 8 + 32)
        #expect(try KeyID(parsing: expected) == key.publicKey.keyID)
    }

    @Test func matchesRFC8032TestVector1() throws {
        let publicKey = try Ed25519.publicKey(ofSeed: SignatureFixtures.rfc8032Seed)
        #expect(publicKey == SignatureFixtures.rfc8032PublicKey)
        let signature = try Ed25519.sign(Data(), seed: SignatureFixtures.rfc8032Seed)
        #expect(signature == SignatureFixtures.rfc8032EmptySignature)
        #expect(try Ed25519.verify(signature, message: Data(), publicKey: publicKey))
    }

    @Test func signedMessageIsThePrefixThenTheDigestWithoutNewline() {
        let text = String(decoding: SignatureRecord.message(for: digest), as: UTF8.self)
        #expect(text == "facelet-signature-v1\nsha256:\(digest.hex)")
    }

    @Test func signingIsDeterministic() throws {
        // Ed25519 signatures depend only on the key and the message (RFC 8032).
        let key = try SigningKey.generate()
        #expect(try key.sign(contentDigest: digest) == key.sign(contentDigest: digest))
    }

    @Test(arguments: [0, 7, 100, 255, 511])
    func flippedSignatureBitFailsToVerify(bit: Int) throws {
        let key = try SigningKey.generate()
        var record = try key.sign(contentDigest: digest)
        var bytes = [UInt8](try #require(Data(base64Encoded: record.signature)))
        bytes[bit / 8] ^= UInt8(1 << (bit % 8))
        record.signature = Data(bytes).base64EncodedString()
        expectCode(.invalid) { () throws(SignatureError) in
            try record.verify(contentDigest: digest)
        }
    }

    @Test func signatureOverAnotherDigestFailsToVerify() throws {
        let record = try SigningKey.generate().sign(contentDigest: digest)
        expectCode(.invalid) { () throws(SignatureError) in
            try record.verify(contentDigest: SignatureFixtures.otherDigest)
        }
    }

    @Test func signatureByAnotherKeyFailsToVerify() throws {
        let signer = try SigningKey.generate()
        let other = try SigningKey.generate().publicKey
        var record = try signer.sign(contentDigest: digest)
        record.publicKey = other.base64
        record.keyID = other.keyID.text
        expectCode(.invalid) { () throws(SignatureError) in
            try record.verify(contentDigest: digest)
        }
    }

    @Test func publicKeyThatDoesNotHashToItsKeyIDIsRefused() throws {
        let signer = try SigningKey.generate()
        var record = try signer.sign(contentDigest: digest)
        record.keyID = try SigningKey.generate().publicKey.keyID.text
        expectCode(.keyIDMismatch) { () throws(SignatureError) in
            try record.verify(contentDigest: digest)
        }
    }

    /// (field to change, new value, expected code)
    static let malformedRecords: [(String, String, String)] = [
        ("algorithm", "rsa", "signature.unsupported_algorithm"),
        ("algorithm", "ED25519", "signature.unsupported_algorithm"),
        ("key_id", "ed25519:XYZ", "signature.bad_key_id"),
        ("key_id", "sha256:0123456789abcdef0123456789abcdef", "signature.bad_key_id"),
        ("key_id", "ed25519:0123456789ABCDEF0123456789ABCDEF", "signature.bad_key_id"),
        ("public_key", "not base64!", "signature.bad_base64"),
        ("public_key", "AAAA\n", "signature.bad_base64"),
        ("public_key", "AAECAw", "signature.bad_base64"),
        ("public_key", Data(count: 31).base64EncodedString(), "signature.bad_length"),
        ("public_key", Data(count: 33).base64EncodedString(), "signature.bad_length"),
        ("signature", "@@@@", "signature.bad_base64"),
        ("signature", Data(count: 63).base64EncodedString(), "signature.bad_length"),
        ("signature", Data(count: 65).base64EncodedString(), "signature.bad_length"),
        ("signature", "", "signature.bad_length"),
    ]

    @Test(arguments: malformedRecords)
    func malformedRecordIsRefusedWithItsCode(field: String, value: String, code: String) throws {
        var record = try SigningKey.generate().sign(contentDigest: digest)
        switch field {
        case "algorithm": record.algorithm = value
        case "key_id": record.keyID = value
        case "public_key": record.publicKey = value
        default: record.signature = value
        }
        do {
            try record.verify(contentDigest: digest)
            Issue.record("accepted a record with \(field) = \(value)")
        } catch {
            #expect(error.code.rawValue == code, "\(error)")
        }
    }

    // MARK: - JSON and header forms

    @Test func recordEncodesWithTheDocumentedFieldNames() throws {
        let record = SignatureRecord(keyID: "ed25519:00112233445566778899aabbccddeeff",
                                     publicKey: "cHVi", signature: "c2ln")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(record), as: UTF8.self)
        #expect(json == #"{"algorithm":"ed25519","#
                + #""key_id":"ed25519:00112233445566778899aabbccddeeff","#
                + #""public_key":"cHVi","signature":"c2ln"}"#)
        #expect(try JSONDecoder().decode(SignatureRecord.self, from: Data(json.utf8)) == record)
    }

    @Test func headerValueRoundTrips() throws {
        let record = try SigningKey.generate().sign(contentDigest: digest)
        let header = record.headerValue
        #expect(header.split(separator: " ").count == 4)
        #expect(header.hasPrefix("ed25519 \(record.keyID) "))
        #expect(try SignatureRecord(headerValue: " \(header) ") == record)
        try SignatureRecord(headerValue: header).verify(contentDigest: digest)
    }

    @Test(arguments: ["", "ed25519", "ed25519 a b", "ed25519 a b c d"])
    func malformedHeaderIsRefused(value: String) {
        expectCode(.badHeader) { () throws(SignatureError) in
            _ = try SignatureRecord(headerValue: value)
        }
    }

    // MARK: - PEM

    @Test func pemRoundTripKeepsTheKey() throws {
        let key = try SigningKey.generate()
        let privatePEM = String(decoding: try key.pem(), as: UTF8.self)
        let publicPEM = String(decoding: try key.publicKey.pem(), as: UTF8.self)
        #expect(privatePEM.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        #expect(privatePEM.hasSuffix("-----END PRIVATE KEY-----\n"))
        #expect(publicPEM.hasPrefix("-----BEGIN PUBLIC KEY-----\n"))
        #expect(publicPEM.hasSuffix("-----END PUBLIC KEY-----\n"))

        let reread = try SigningKey(pem: Data(privatePEM.utf8))
        #expect(reread.publicKey == key.publicKey)
        #expect(try reread.sign(contentDigest: digest) == key.sign(contentDigest: digest))
        #expect(try PublicKey(pem: Data(publicPEM.utf8)) == key.publicKey)
    }

    @Test func descriptionNeverShowsTheKeyMaterial() throws {
        let key = try SigningKey.generate()
        let pemBody = String(decoding: try key.pem(), as: UTF8.self)
            .split(separator: "\n")[1]
        #expect(key.description == "SigningKey(\(key.publicKey.keyID))")
        #expect(!"\(key)".contains(pemBody))
    }

    static let malformedPEMs: [(String, String, String)] = [
        ("garbage", "hello", "signature.bad_pem"),
        ("empty", "", "signature.bad_pem"),
        ("truncated", "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2Vw\n-----END PRIVATE KEY-----\n",
         "signature.bad_pem"),
        ("encrypted", SignatureFixtures.encryptedEd25519PrivateKey, "signature.bad_pem"),
        ("p256", SignatureFixtures.p256PrivateKey, "signature.not_ed25519"),
        ("public", SignatureFixtures.ed448PublicKey, "signature.bad_pem"),
    ]

    @Test(arguments: malformedPEMs)
    func malformedPrivateKeyPEMIsRefused(label: String, pem: String, code: String) {
        do {
            _ = try SigningKey(pem: Data(pem.utf8))
            Issue.record("accepted \(label) as a private key")
        } catch {
            #expect(error.code.rawValue == code, "\(label): \(error)")
        }
    }

    @Test func nonEd25519PublicKeyIsRefused() {
        expectCode(.notEd25519) { () throws(SignatureError) in
            _ = try PublicKey(pem: Data(SignatureFixtures.ed448PublicKey.utf8))
        }
    }

    @Test func privateKeyPEMIsNotAPublicKey() throws {
        let pem = try SigningKey.generate().pem()
        expectCode(.badPEM) { () throws(SignatureError) in _ = try PublicKey(pem: pem) }
    }

    // MARK: - Files

    @Test func keyFilesHaveTheirModesAndAreNeverOverwritten() throws {
        let directory = try SignatureFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = try SigningKey.generate()
        let privatePath = directory.appendingPathComponent("me.key").path
        let publicPath = directory.appendingPathComponent("me.pub").path
        try key.write(to: privatePath)
        try key.publicKey.write(to: publicPath)

        let privateMode = try FileManager.default.attributesOfItem(atPath: privatePath)[
            .posixPermissions] as? NSNumber
        #expect(privateMode?.intValue == 0o600)
        #expect(try SigningKey(contentsOf: privatePath).publicKey == key.publicKey)
        #expect(try PublicKey(contentsOf: publicPath) == key.publicKey)

        let before = try Data(contentsOf: URL(fileURLWithPath: privatePath))
        let other = try SigningKey.generate()
        expectCode(.fileExists) { () throws(SignatureError) in try other.write(to: privatePath) }
        expectCode(.fileExists) { () throws(SignatureError) in
            try other.publicKey.write(to: publicPath)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: privatePath)) == before)
    }

    @Test func missingKeyFileIsAnIOErrorNamingThePath() {
        do {
            _ = try SigningKey(contentsOf: "/nonexistent/facelet/me.key")
            Issue.record("read a missing file")
        } catch {
            #expect(error.code == .io)
            #expect(error.context["file.path"] == "/nonexistent/facelet/me.key")
        }
    }
}
