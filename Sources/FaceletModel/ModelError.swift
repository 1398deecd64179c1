/// Why a network could not be built or run from a package or a photo.
///
/// `code` is stable and meant for programs (`--json` output, HTTP error bodies); `message`
/// says what went wrong and how to fix it; `context` names the package, layer or level involved.
public struct ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable, machine-readable identifier of the failure.
    public let code: String
    /// What went wrong and how to fix it, as one sentence for a person.
    public let message: String
    /// What the failure is about: a package name or digest, a layer, a level.
    public let context: [String: String]

    /// Makes an error from its parts.
    public init(code: String, message: String, context: [String: String] = [:]) {
        self.code = code
        self.message = message
        self.context = context
    }

    /// The message followed by the context, sorted by key.
    public var description: String {
        guard !context.isEmpty else { return "\(code): \(message)" }
        let details = context.keys.sorted().map { "\($0)=\(context[$0] ?? "")" }
        return "\(code): \(message) [\(details.joined(separator: ", "))]"
    }
}

extension ModelError {
    /// The package is not of the kind this builder needs (a bank where a backbone was expected).
    static func wrongKind(expected: String, got: String, name: String) -> ModelError {
        ModelError(code: "model.wrong-kind",
                   message: "expected a \(expected) package but got a \(got) package; "
                       + "pass the \(expected) file instead",
                   context: ["package": name])
    }

    /// The architecture description does not describe a network that can run.
    static func invalidArchitecture(_ message: String, op: String? = nil) -> ModelError {
        var context: [String: String] = [:]
        if let op { context["op"] = op }
        return ModelError(code: "model.invalid-architecture",
                          message: message + "; fix the backbone's architecture description",
                          context: context)
    }

    /// A tensor the description needs is absent or has the wrong shape.
    static func badTensor(_ name: String, expected: [Int], got: [Int]?) -> ModelError {
        let found = got.map { "shape \($0)" } ?? "no such tensor"
        return ModelError(code: "model.bad-tensor",
                          message: "tensor '\(name)' should have shape \(expected) but the "
                              + "package has \(found); rebuild the package for this architecture",
                          context: ["tensor": name])
    }

    /// A bank was trained for a different backbone than the one it is being bound to.
    static func backboneMismatch(bank: String, expected: String, got: String) -> ModelError {
        ModelError(code: "model.backbone-mismatch",
                   message: "bank '\(bank)' was trained for backbone \(expected), not for the "
                       + "loaded backbone \(got); install and load the backbone the bank names",
                   context: ["bank": bank, "bank.backbone": expected, "backbone": got])
    }

    /// A photo is too small to run through the network.
    static func imageTooSmall(width: Int, height: Int) -> ModelError {
        ModelError(code: "model.image-too-small",
                   message: "a \(width)x\(height) photo is too small: the network needs at "
                       + "least 2x2 pixels; use a larger photo",
                   context: ["width": String(width), "height": String(height)])
    }
}
