import Foundation
import Testing
@testable import FaceletPackage

/// Runs a program found on PATH; returns stdout, throws on a non-zero exit.
private func runTool(_ arguments: [String]) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw ToolFailure(status: process.terminationStatus,
                          message: String(decoding: errors, as: UTF8.self))
    }
    return data
}

private struct ToolFailure: Error {
    let status: Int32
    let message: String
}

/// Python's `cryptography` package as an independent Ed25519 implementation.
enum PythonCryptography {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Python/facelet_signatures.py").path

    /// Whether `python3` can import cryptography (scripts/setup.sh installs it).
    static let available: Bool =
        (try? runTool(["python3", "-c", "import cryptography.hazmat.primitives.asymmetric"]))
        != nil

    static func run(_ arguments: [String]) throws -> [String: Any] {
        let data = try runTool(["python3", script] + arguments)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}

@Suite(.enabled(if: PythonCryptography.available,
                "python3 cannot import cryptography (pip install cryptography)"))
struct PythonSignatureInteropTests {
    private let digest = SignatureFixtures.digest

    @Test func pythonVerifiesOurSignatureWithOurPublicKeyFile() throws {
        let directory = try SignatureFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = try SigningKey.generate()
        let publicPath = directory.appendingPathComponent("me.pub").path
        try key.publicKey.write(to: publicPath)
        let record = try key.sign(contentDigest: digest)

        let good = try PythonCryptography.run(["verify", publicPath, digest.description,
                                               record.signature])
        #expect(good["valid"] as? Bool == true)
        // Python's key id and raw public key agree with ours.
        #expect(good["key_id"] as? String == record.keyID)
        #expect(good["public_key"] as? String == record.publicKey)

        let other = try PythonCryptography.run(["verify", publicPath,
                                                SignatureFixtures.otherDigest.description,
                                                record.signature])
        #expect(other["valid"] as? Bool == false)
    }

    @Test func pythonReadsOurPrivateKeyFileAsPKCS8() throws {
        let directory = try SignatureFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = try SigningKey.generate()
        let path = directory.appendingPathComponent("me.key").path
        try key.write(to: path)

        let read = try PythonCryptography.run(["read-private", path])
        #expect(read["pkcs8"] as? Bool == true)
        #expect(read["public_key"] as? String == key.publicKey.base64)
        #expect(read["key_id"] as? String == key.publicKey.keyID.text)
    }

    @Test func weVerifyPythonsSignatureAndReadItsKeyFiles() throws {
        let directory = try SignatureFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let made = try PythonCryptography.run(["sign", directory.path, digest.description])
        let record = SignatureRecord(
            algorithm: try #require(made["algorithm"] as? String),
            keyID: try #require(made["key_id"] as? String),
            publicKey: try #require(made["public_key"] as? String),
            signature: try #require(made["signature"] as? String))

        try record.verify(contentDigest: digest)
        #expect(throws: SignatureError.self) {
            try record.verify(contentDigest: SignatureFixtures.otherDigest)
        }
        let privateKey = try SigningKey(
            contentsOf: directory.appendingPathComponent("py.key").path)
        let publicKey = try PublicKey(
            contentsOf: directory.appendingPathComponent("py.pub").path)
        #expect(privateKey.publicKey.keyID.text == record.keyID)
        #expect(publicKey.base64 == record.publicKey)
        // Ed25519 is deterministic, so our signature with Python's key equals Python's.
        #expect(try privateKey.sign(contentDigest: digest) == record)
    }
}

/// Whether the openssl command-line tool is installed.
private let opensslAvailable = (try? runTool(["openssl", "version"])) != nil

@Suite(.enabled(if: opensslAvailable, "the openssl command-line tool is not installed"))
struct OpenSSLCommandLineInteropTests {
    private let digest = SignatureFixtures.digest

    @Test func opensslReadsOurKeyFilesAndVerifiesOurSignature() throws {
        let directory = try SignatureFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = try SigningKey.generate()
        let privatePath = directory.appendingPathComponent("me.key").path
        let publicPath = directory.appendingPathComponent("me.pub").path
        try key.write(to: privatePath)
        try key.publicKey.write(to: publicPath)

        // `openssl pkey -pubout` derives the public key from our private key file: it must
        // equal our public key file byte for byte.
        let derived = try runTool(["openssl", "pkey", "-in", privatePath, "-pubout"])
        #expect(derived == (try Data(contentsOf: URL(fileURLWithPath: publicPath))))
        let text = String(decoding: try runTool(["openssl", "pkey", "-pubin", "-in", publicPath,
                                                 "-noout", "-text"]), as: UTF8.self)
        #expect(text.contains("ED25519 Public-Key"))

        let messagePath = directory.appendingPathComponent("message").path
        let signaturePath = directory.appendingPathComponent("signature").path
        try SignatureRecord.message(for: digest).write(to: URL(fileURLWithPath: messagePath))
        let record = try key.sign(contentDigest: digest)
        try #require(Data(base64Encoded: record.signature))
            .write(to: URL(fileURLWithPath: signaturePath))
        let verified = try runTool(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey",
                                    publicPath, "-rawin", "-in", messagePath,
                                    "-sigfile", signaturePath])
        let answer = String(decoding: verified, as: UTF8.self)
        #expect(answer.contains("Signature Verified Successfully"))

        // And the other way: openssl signs with our key file, we verify.
        let opensslSignature = try runTool(["openssl", "pkeyutl", "-sign", "-inkey", privatePath,
                                            "-rawin", "-in", messagePath])
        #expect(opensslSignature.base64EncodedString() == record.signature)
    }

    @Test func weReadKeysMadeByOpenSSL() throws {
        let directory = try SignatureFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let privatePath = directory.appendingPathComponent("ossl.key").path
        let publicPath = directory.appendingPathComponent("ossl.pub").path
        _ = try runTool(["openssl", "genpkey", "-algorithm", "ED25519", "-out", privatePath])
        _ = try runTool(["openssl", "pkey", "-in", privatePath, "-pubout", "-out", publicPath])

        let key = try SigningKey(contentsOf: privatePath)
        #expect(try PublicKey(contentsOf: publicPath) == key.publicKey)
        try key.sign(contentDigest: digest).verify(contentDigest: digest)
    }
}
