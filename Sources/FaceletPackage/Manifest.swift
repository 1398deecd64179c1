import Foundation

/// What a package carries.
public enum PackageKind: String, Codable, Sendable {
    /// A facelet bank: per-effect layers bound to one backbone.
    case bank
    /// A backbone: the frozen encoder and its decoder.
    case backbone
}

/// The default strength λ of an effect and the range a user may choose from.
public struct StrengthRange: Codable, Sendable, Equatable {
    /// The strength applied when none is asked for.
    public var `default`: Double
    /// The lowest allowed strength.
    public var min: Double
    /// The highest allowed strength.
    public var max: Double

    /// Makes a range; `validate()` checks `min ≤ default ≤ max`.
    public init(default: Double, min: Double, max: Double) {
        self.default = `default`
        self.min = min
        self.max = max
    }
}

/// A border mode: how a convolution or the input padding fills pixels outside the image.
public enum Padding: String, Codable, Sendable {
    /// Zeros.
    case zero
    /// Mirror without repeating the edge pixel (PyTorch `ReflectionPad2d`).
    case reflect
    /// Repeat the edge pixel (allowed for the input padding only).
    case replicate
    /// Fill with the input normalisation's mean colour, which is zero after normalisation: the
    /// original release pads its normalised tensor with zeros (allowed for the input padding
    /// only).
    case mean
}

/// The layer description of a facelet bank (docs/format.md, "Bank tensors").
public struct BankDescription: Codable, Sendable, Equatable {
    /// The border mode of each of the three convolutions of a level: `zero` or `reflect`.
    public var padding: [Padding]
    /// How the edit's change is fitted to the photo before it is added, if at all.
    public var guide: ChangeGuide?

    /// Makes a description; `Manifest.validate()` checks there are three `zero`/`reflect` modes
    /// and a valid guide.
    public init(padding: [Padding], guide: ChangeGuide? = nil) {
        self.padding = padding
        self.guide = guide
    }
}

/// A bank's guided change (docs/runtime.md, "Guided change"): the change an edit makes to the
/// photo is fitted, in every window of `2·radius + 1` pixels, as an affine function of the
/// photo's colours (ridge term `epsilon`), and rebuilt from the photo, so a change of colour
/// keeps the photo's detail.
public struct ChangeGuide: Codable, Sendable, Equatable {
    /// The window radius, in pixels of the photo (1...1024).
    public var radius: Int
    /// The ridge term added to each window's colour covariance, RGB in [0, 1] units
    /// (`minimumEpsilon`...1).
    public var epsilon: Double

    /// Makes a guide; `Manifest.validate()` checks the ranges.
    public init(radius: Int, epsilon: Double) {
        self.radius = radius
        self.epsilon = epsilon
    }

    /// The largest radius accepted.
    public static let maximumRadius = 1024
    /// The smallest ridge term accepted. The window statistics are single-precision means of
    /// colours in [0, 1], exact to about 1e-7; a ridge term below that rounding lets the fit
    /// of a window whose colours are (nearly) collinear, such as a grey or flat region, blow
    /// its rounding errors up into huge coefficients.
    public static let minimumEpsilon = 1e-6

    /// Checks the ranges.
    /// - Throws: `PackageError` `.badManifest`.
    public func validate() throws(PackageError) {
        guard radius >= 1, radius <= Self.maximumRadius else {
            throw PackageError(.badManifest,
                               "bank.guide.radius must be 1-\(Self.maximumRadius) pixels",
                               context: ["bank.guide.radius": "\(radius)"])
        }
        guard epsilon.isFinite, epsilon >= Self.minimumEpsilon, epsilon <= 1 else {
            throw PackageError(.badManifest, "bank.guide.epsilon must be in [0.000001, 1]",
                               context: ["bank.guide.epsilon": "\(epsilon)"])
        }
    }
}

/// The manifest of a package, stored as the `facelet.manifest` metadata string.
///
/// Fields and rules are those of docs/format.md. `backbone`, `levels` and `bank` belong to banks,
/// `architecture` to backbones; `validate()` refuses a field of the other kind.
public struct Manifest: Codable, Sendable, Equatable {
    /// Bank or backbone.
    public var kind: PackageKind
    /// The package name (see `Naming.validateName`).
    public var name: String
    /// The version (see `Naming.validateVersion`).
    public var version: String
    /// Free text; may be empty.
    public var description: String
    /// Banks: the content digest of the backbone the bank was trained for.
    public var backbone: Digest?
    /// Banks: the feature levels the bank acts on.
    public var levels: [String]?
    /// The default strength and the allowed range.
    public var strength: StrengthRange
    /// Banks: the layer description.
    public var bank: BankDescription?
    /// Backbones: the encoder/decoder description (docs/architecture.md).
    public var architecture: Architecture?
    /// How the package was made (method, data digests, K, epochs, …).
    public var provenance: [String: String]
    /// Tensor name → lowercase hex SHA-256 of the tensor's stored bytes.
    public var tensors: [String: String]

    /// Makes a manifest; `PackageWriter` fills `tensors`.
    public init(kind: PackageKind, name: String, version: String, description: String = "",
                backbone: Digest? = nil, levels: [String]? = nil,
                strength: StrengthRange = StrengthRange(default: 1, min: -1, max: 2),
                bank: BankDescription? = nil, architecture: Architecture? = nil,
                provenance: [String: String] = [:], tensors: [String: String] = [:]) {
        self.kind = kind
        self.name = name
        self.version = version
        self.description = description
        self.backbone = backbone
        self.levels = levels
        self.strength = strength
        self.bank = bank
        self.architecture = architecture
        self.provenance = provenance
        self.tensors = tensors
    }

    /// Checks everything that can be checked without the tensors' bytes: names, the kind's
    /// fields, the strength range, the tensor list's names and hashes, and (backbones) the
    /// architecture.
    /// - Throws: `PackageError` (`.badName`, `.badVersion`, `.badManifest`, `.badArchitecture`).
    public func validate() throws(PackageError) {
        try Naming.validateName(name)
        try Naming.validateVersion(version)
        try validateStrength()
        switch kind {
        case .bank: try validateBankFields()
        case .backbone: try validateBackboneFields()
        }
        for (tensor, hex) in tensors {
            try TensorName.validate(tensor)
            guard Digest.isHex64(hex) else {
                throw PackageError(.badManifest,
                                   "manifest.tensors maps each tensor to 64 lowercase hex digits",
                                   context: ["tensor.name": tensor])
            }
        }
    }

    /// The canonical JSON of the manifest (docs/format.md, "The content digest"): keys sorted by
    /// code point, no insignificant white space, `/` not escaped, absent fields omitted.
    ///
    /// Every number must be finite (`validate()` ensures it); a NaN is a programmer error.
    public func canonicalJSON() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(self)
        } catch {
            // Only non-finite doubles fail to encode, and no caller hashes an unvalidated one.
            preconditionFailure("manifest with a non-finite number cannot be encoded: \(error)")
        }
    }

    /// Decodes a manifest from its JSON text.
    /// - Throws: `PackageError` with code `.badManifest`, naming the offending field.
    public static func decode(_ json: Data) throws(PackageError) -> Manifest {
        do {
            return try JSONDecoder().decode(Manifest.self, from: json)
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty,
               (try? JSONSerialization.jsonObject(with: json)) != nil {
                // Foundation reports a number its field cannot hold (1.5 or 1e300 for a whole
                // number) as invalid JSON at the top level; the JSON itself parses.
                throw PackageError(.badManifest,
                                   "the manifest does not match docs/format.md: a number does "
                                   + "not fit its field (a fraction or an out-of-range number "
                                   + "where a whole number is expected)")
            }
            throw PackageError(.badManifest,
                               "the manifest does not match docs/format.md: "
                               + DecodingProblem.describe(error))
        } catch {
            throw PackageError(.badManifest, "the manifest is not valid JSON: \(error)")
        }
    }

    private func validateStrength() throws(PackageError) {
        let s = strength
        guard s.default.isFinite, s.min.isFinite, s.max.isFinite,
              s.min <= s.default, s.default <= s.max else {
            throw PackageError(.badManifest,
                               "strength needs finite numbers with min <= default <= max",
                               context: ["strength": "\(s.min) <= \(s.default) <= \(s.max)"])
        }
    }

    private func validateBankFields() throws(PackageError) {
        guard backbone != nil else {
            throw PackageError(.badManifest,
                               "a bank manifest needs \"backbone\", the backbone's content digest")
        }
        guard let levels, !levels.isEmpty else {
            throw PackageError(.badManifest, "a bank manifest needs a non-empty \"levels\" list")
        }
        guard Set(levels).count == levels.count else {
            throw PackageError(.badManifest, "\"levels\" names a level twice",
                               context: ["levels": levels.joined(separator: ",")])
        }
        for level in levels where level.isEmpty || level.utf8.count > 64 {
            throw PackageError(.badManifest, "a level name must be 1-64 bytes",
                               context: ["level": String(level.prefix(80))])
        }
        guard let bank, bank.padding.count == 3,
              bank.padding.allSatisfy({ $0 == .zero || $0 == .reflect }) else {
            throw PackageError(.badManifest,
                               "a bank manifest needs \"bank\": {\"padding\": [three of"
                               + " \"zero\"/\"reflect\"]}")
        }
        try bank.guide?.validate()
        guard architecture == nil else {
            throw PackageError(.badManifest,
                               "\"architecture\" belongs to backbones; remove it from the bank")
        }
    }

    private func validateBackboneFields() throws(PackageError) {
        guard let architecture else {
            throw PackageError(.badManifest, "a backbone manifest needs \"architecture\"")
        }
        guard backbone == nil, levels == nil, bank == nil else {
            throw PackageError(.badManifest,
                               "\"backbone\", \"levels\" and \"bank\" belong to banks;"
                               + " remove them from the backbone")
        }
        try architecture.validate()
    }
}

/// The rule for tensor names in a package header.
enum TensorName {
    /// The longest tensor name, in UTF-8 bytes.
    static let maxBytes = 256

    /// Refuses an empty name or one longer than 256 bytes.
    static func validate(_ name: String) throws(PackageError) {
        let count = name.utf8.count
        guard count > 0, count <= maxBytes else {
            throw PackageError(.badTensorName,
                               "a tensor name must be 1-\(maxBytes) bytes of UTF-8",
                               context: ["tensor.name": String(name.prefix(80)),
                                         "tensor.name_bytes": String(count)])
        }
    }
}

/// Turns a `DecodingError` into a short sentence naming the JSON path.
public enum DecodingProblem {
    /// `missing .a.b`, `wrong type at .a[2]`, `bad value at .x: …`.
    public static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
            return text.isEmpty ? "(top level)" : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing \(path(context.codingPath + [key]))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type at \(path(context.codingPath))"
        case .dataCorrupted(let context):
            return "bad value at \(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
