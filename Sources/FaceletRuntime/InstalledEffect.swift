import FaceletModel
import FaceletPackage
import Foundation

/// Which bank version served something: the effect's name in the runtime, the bank package's
/// name and version, and its content digest (the identity that matters).
public struct EffectVersion: Sendable, Hashable, CustomStringConvertible {
    /// The name the effect is installed under (what requests ask for).
    public let effect: String
    /// The bank package's name.
    public let package: String
    /// The bank package's version.
    public let version: String
    /// The bank package's content digest.
    public let digest: Digest

    /// Makes a version from its parts.
    public init(effect: String, package: String, version: String, digest: Digest) {
        self.effect = effect
        self.package = package
        self.version = version
        self.digest = digest
    }

    /// `effect = package:version (sha256:…)`.
    public var description: String {
        "\(effect) = \(package):\(version) (\(digest.short))"
    }
}

/// One bank as installed in a runtime: bound to the runtime's backbone, validated, immutable.
///
/// A class so that "unloaded" has a meaning: once it is removed or replaced and no request or
/// snapshot holds it any more, it is deallocated and its weights are freed.
public final class InstalledEffect: Sendable {
    /// Which version this is.
    public let version: EffectVersion
    /// The bank, bound to the runtime's backbone.
    public let bank: FaceletBank
    /// The bytes the bank's weights occupy in memory (float32), what unloading it frees.
    public let residentBytes: Int
    /// The default strength and the allowed range, from the bank's manifest.
    public let strength: StrengthRange
    /// Where the bank came from (`data`, a file path, `store:smile@stable`, …), for reports.
    public let source: String
    /// When the bank was switched in.
    public let installedAt: Date

    init(effect: String, bank: FaceletBank, source: String, installedAt: Date) {
        self.version = EffectVersion(effect: effect, package: bank.name, version: bank.version,
                                     digest: bank.contentDigest)
        self.bank = bank
        self.residentBytes = bank.byteSize
        self.strength = bank.strength
        self.source = source
        self.installedAt = installedAt
    }

    /// The bank's content digest.
    public var digest: Digest { version.digest }

    /// The strength to apply for a request: the manifest's default when none is asked for,
    /// otherwise the request clamped into the manifest's `[min, max]`.
    ///
    /// - Throws: `RuntimeError` `.badStrength` for NaN or an infinity.
    public func resolveStrength(_ requested: Double?) throws(RuntimeError) -> AppliedStrength {
        guard let requested else {
            return AppliedStrength(requested: nil, applied: strength.default, clamped: false)
        }
        guard requested.isFinite else {
            throw RuntimeError(.badStrength,
                               "strength must be a finite number; effect '\(version.effect)'"
                                   + " accepts \(strength.min) to \(strength.max)",
                               context: ["effect.name": version.effect])
        }
        let applied = Swift.min(Swift.max(requested, strength.min), strength.max)
        return AppliedStrength(requested: requested, applied: applied,
                               clamped: applied != requested)
    }
}

/// The strength an edit used: what was asked, what was applied after clamping to the
/// effect's range, and whether clamping changed it.
public struct AppliedStrength: Sendable, Equatable {
    /// The strength asked for; nil when the effect's default was used.
    public let requested: Double?
    /// The strength λ the edit used.
    public let applied: Double
    /// Whether `requested` lay outside the effect's range and was clamped.
    public let clamped: Bool

    /// Makes a value from its parts.
    public init(requested: Double?, applied: Double, clamped: Bool) {
        self.requested = requested
        self.applied = applied
        self.clamped = clamped
    }
}
