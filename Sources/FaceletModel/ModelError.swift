/// Why a network could not be built or run from a package or a photo.
///
/// `code` is stable and meant for programs (`--json` output, HTTP error bodies); `message`
/// says what went wrong and how to fix it; `context` names the package, layer or level involved
/// as dotted keys.
public struct ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable, machine-readable error code such as `model.backbone_mismatch`.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code's text.
        public let rawValue: String

        /// Wraps a code's text.
        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// The code's text.
        public var description: String { rawValue }

        /// A bank package was given where a backbone was expected, or the other way round.
        public static let wrongKind = Code(rawValue: "model.wrong_kind")
        /// The architecture description does not describe a network that can run.
        public static let invalidArchitecture = Code(rawValue: "model.invalid_architecture")
        /// A tensor the network needs is absent, has the wrong shape or a bad value.
        public static let badTensor = Code(rawValue: "model.bad_tensor")
        /// A bank's manifest lacks its layer description or levels.
        public static let badBank = Code(rawValue: "model.bad_bank")
        /// A bank acts on a level its backbone lacks.
        public static let unknownLevel = Code(rawValue: "model.unknown_level")
        /// A bank was trained for another backbone.
        public static let backboneMismatch = Code(rawValue: "model.backbone_mismatch")
        /// A photo is smaller than the network accepts.
        public static let imageTooSmall = Code(rawValue: "model.image_too_small")
        /// A photo has more pixels than the editor was configured to accept.
        public static let imageTooLarge = Code(rawValue: "model.image_too_large")
    }

    /// The stable code.
    public let code: Code
    /// What went wrong and how to fix it, as one sentence for a person.
    public let message: String
    /// What the failure is about, as dotted keys: `package.name`, `tensor.name`, `level`.
    public let context: [String: String]

    /// Makes an error from its parts.
    public init(_ code: Code, _ message: String, context: [String: String] = [:]) {
        self.code = code
        self.message = message
        self.context = context
    }

    /// `code: message [key=value, …]`, context sorted by key.
    public var description: String {
        guard !context.isEmpty else { return "\(code): \(message)" }
        let details = context.keys.sorted().map { "\($0)=\(context[$0] ?? "")" }
        return "\(code): \(message) [\(details.joined(separator: ", "))]"
    }
}

extension ModelError {
    /// The package is not of the kind this builder needs (a bank where a backbone was expected).
    static func wrongKind(expected: String, got: String, name: String) -> ModelError {
        ModelError(.wrongKind,
                   "expected a \(expected) package but got a \(got) package; "
                       + "pass the \(expected) file instead",
                   context: ["package.name": name])
    }

    /// The architecture description does not describe a network that can run.
    static func invalidArchitecture(_ message: String) -> ModelError {
        ModelError(.invalidArchitecture,
                   message + "; fix the backbone's architecture description")
    }

    /// A tensor the description needs is absent or has the wrong shape.
    static func badTensor(_ name: String, expected: [Int], got: [Int]?) -> ModelError {
        let found = got.map { "shape \($0)" } ?? "no such tensor"
        return ModelError(.badTensor,
                          "tensor '\(name)' should have shape \(expected) but the package has "
                              + "\(found); rebuild the package for this architecture",
                          context: ["tensor.name": name])
    }

    /// A bank was trained for a different backbone than the one it is being bound to.
    static func backboneMismatch(bank: String, expected: String, got: String) -> ModelError {
        ModelError(.backboneMismatch,
                   "bank '\(bank)' was trained for backbone \(expected), not for the loaded "
                       + "backbone \(got); install and load the backbone the bank names",
                   context: ["bank.name": bank, "bank.backbone": expected,
                             "backbone.digest": got])
    }

    /// A photo is too small to run through the network.
    static func imageTooSmall(width: Int, height: Int) -> ModelError {
        ModelError(.imageTooSmall,
                   "a \(width)x\(height) photo is too small: the network needs at least 2x2 "
                       + "pixels; use a larger photo",
                   context: ["image.width": String(width), "image.height": String(height)])
    }

    /// A photo is larger than the editor accepts.
    static func imageTooLarge(width: Int, height: Int, limit: Int) -> ModelError {
        ModelError(.imageTooLarge,
                   "a \(width)x\(height) photo has more than the \(limit) pixels this editor "
                       + "accepts; resize it first or raise the editor's maximumPixels",
                   context: ["image.width": String(width), "image.height": String(height)])
    }
}
