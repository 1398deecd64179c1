import FaceletPackage
import Foundation

/// The registry's secret: publishing (and, with `readsNeedToken`, reading) needs
/// `Authorization: Bearer <token>`.
///
/// The text never appears in a description, a log line or an error. Comparison is in
/// constant time: both sides are hashed to SHA-256 first (so the time does not depend on
/// where they differ or on their lengths), then every byte of the two hashes is compared.
public struct BearerToken: Sendable, CustomStringConvertible {
    private let hash: [UInt8]

    /// A token from its text; nil when it is empty.
    public init?(_ text: String) {
        guard !text.isEmpty else { return nil }
        hash = BearerToken.hashed(text)
    }

    /// Whether an `Authorization` header value is `Bearer <this token>`.
    public func accepts(authorization: String?) -> Bool {
        guard let authorization else { return false }
        let scheme = "bearer "
        guard authorization.count > scheme.count,
              authorization.prefix(scheme.count).lowercased() == scheme else { return false }
        let offered = BearerToken.hashed(String(authorization.dropFirst(scheme.count)))
        var difference: UInt8 = 0
        for (a, b) in zip(hash, offered) { difference |= a ^ b }
        return difference == 0 && offered.count == hash.count
    }

    /// Never the token: `<bearer token>`.
    public var description: String { "<bearer token>" }

    private static func hashed(_ text: String) -> [UInt8] {
        Array(Digest.sha256(Data(text.utf8)).hex.utf8)
    }
}
