import Foundation

/// A read (or freshly written) package: its manifest, its tensors sorted by name, and its
/// content digest.
public struct Package: Sendable {
    /// The validated manifest; `manifest.tensors` lists every tensor's SHA-256.
    public let manifest: Manifest
    /// The tensors, sorted by the UTF-8 bytes of their names.
    public let tensors: [PackageTensor]
    /// The package's identity (docs/format.md, "The content digest").
    public let contentDigest: Digest
    private let index: [String: Int]

    /// Assembles a package from contents that were already validated.
    init(manifest: Manifest, sortedTensors: [PackageTensor]) {
        self.manifest = manifest
        self.tensors = sortedTensors
        self.contentDigest = ContentDigest.compute(manifest: manifest, tensors: sortedTensors)
        var index: [String: Int] = [:]
        for (position, tensor) in sortedTensors.enumerated() {
            index[tensor.name] = position
        }
        self.index = index
    }

    /// Assembles a package from a manifest that already lists its tensors' hashes (as stored,
    /// or as a registry's version document carries it) and the tensors, checking everything
    /// the writer checks: tensor names, the manifest, finiteness, that the tensors are exactly
    /// the listed ones with matching hashes, and the kind's layout. Unlike
    /// `PackageWriter.encode` it lays out no file bytes.
    /// - Throws: `PackageError` naming the first rule the content breaks.
    public init(validating manifest: Manifest, tensors: [PackageTensor]) throws(PackageError) {
        let sorted = tensors.sorted { NameOrder.less($0.name, $1.name) }
        var seen = Set<String>()
        for tensor in sorted {
            try TensorName.validate(tensor.name)
            guard seen.insert(tensor.name).inserted else {
                throw PackageError(.duplicateName, "two tensors are named \"\(tensor.name)\"",
                                   context: ["tensor.name": tensor.name])
            }
        }
        try manifest.validate()
        try ContentRules.check(manifest: manifest, sortedTensors: sorted)
        self.init(manifest: manifest, sortedTensors: sorted)
    }

    /// The tensor named `name`, if present.
    public subscript(name: String) -> PackageTensor? {
        index[name].map { tensors[$0] }
    }
}

/// Orders tensor names by their UTF-8 bytes (the order of the data section and of the content
/// digest's lines).
enum NameOrder {
    static func less(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
