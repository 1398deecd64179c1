import Foundation
@testable import FaceletPackage

/// Key files made once with the openssl CLI, for the refusal tests.
enum SignatureFixtures {
    /// `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`: PKCS#8, not Ed25519.
    static let p256PrivateKey = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgsdKN75QyT8RUUJhY
        tONCkLHhux7vTe5d71kAO6yRfgmhRANCAAQKqquXuu44dUoUmYn3uT+LbwMHmMIc
        RoWgeT3FcDgVi04EW5ojx3Nloa4jAFp5rZdiHKrCmr8FuF7VjPsFv6Ic
        -----END PRIVATE KEY-----

        """

    /// `openssl genpkey -algorithm ED25519 -aes-256-cbc -pass pass:secret`.
    static let encryptedEd25519PrivateKey = """
        -----BEGIN ENCRYPTED PRIVATE KEY-----
        MIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAh2KvFKNVOa+AICCAAw
        DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEAVUt1lH1Mqbq+1reQG+UrMEQJ43
        qm+SBXGiPy7NhdMv4xpJZUfcsppveX8NVIBDBFplgmPiGngfQOZZU4gmQRei9osD
        juBGV16Qbkmn1BJk+HM=
        -----END ENCRYPTED PRIVATE KEY-----

        """

    /// `openssl genpkey -algorithm ED448 | openssl pkey -pubout`: SPKI, not Ed25519.
    static let ed448PublicKey = """
        -----BEGIN PUBLIC KEY-----
        MEMwBQYDK2VxAzoAAgyXKtmUJAJpVbZmq2WCvhUBRgbOvAxMCnkVaxjuh3SojH2t
        yFKSVO4vgwwWpoQr3SvSRk89Y5+A
        -----END PUBLIC KEY-----

        """

    /// RFC 8032 section 7.1, TEST 1: secret key, public key, and the signature of the empty
    /// message.
    static let rfc8032Seed = hexData(
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    static let rfc8032PublicKey = hexData(
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    static let rfc8032EmptySignature = hexData(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
            + "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")

    /// A content digest to sign.
    static let digest = Digest.sha256(Data("a package".utf8))
    /// Another one.
    static let otherDigest = Digest.sha256(Data("another package".utf8))

    static func hexData(_ hex: String) -> Data {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return Data(bytes)
    }

    /// A fresh empty directory under the temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("facelet-signatures-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
