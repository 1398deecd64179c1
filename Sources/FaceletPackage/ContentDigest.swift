import Foundation

/// A package's identity (docs/format.md, "The content digest").
public enum ContentDigest {
    /// SHA-256 of the text `facelet-content-v1\n`, `manifest <hex>\n` (SHA-256 of
    /// `manifest.canonicalJSON()`), then `tensor <name> <dtype> <d0,d1,...> <hex>\n` per tensor in
    /// byte order of the names. Independent of how a writer laid out the file.
    public static func compute(manifest: Manifest, tensors: [PackageTensor]) -> Digest {
        compute(manifest: manifest, identities: tensors.map {
            TensorIdentity(name: $0.name, dtype: $0.dtype, shape: $0.shape, sha256: $0.sha256)
        })
    }

    /// The same digest from the tensors' identities alone, without their bytes: what a client
    /// checks a remote version document against before it downloads a single blob.
    public static func compute(manifest: Manifest, identities: [TensorIdentity]) -> Digest {
        var text = "facelet-content-v1\n"
        text += "manifest \(Digest.sha256(manifest.canonicalJSON()).hex)\n"
        for tensor in identities.sorted(by: { NameOrder.less($0.name, $1.name) }) {
            let dims = tensor.shape.map(String.init).joined(separator: ",")
            text += "tensor \(tensor.name) \(tensor.dtype.rawValue) \(dims) \(tensor.sha256.hex)\n"
        }
        return Digest.sha256(Data(text.utf8))
    }
}

/// What the content digest covers of one tensor: its name, dtype, shape and the SHA-256 of its
/// bytes.
public struct TensorIdentity: Sendable, Equatable {
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    public var sha256: Digest

    public init(name: String, dtype: DType, shape: [Int], sha256: Digest) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.sha256 = sha256
    }
}
