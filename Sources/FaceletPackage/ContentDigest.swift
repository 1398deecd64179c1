import Foundation

/// A package's identity (docs/format.md, "The content digest").
public enum ContentDigest {
    /// SHA-256 of the text `facelet-content-v1\n`, `manifest <hex>\n` (SHA-256 of
    /// `manifest.canonicalJSON()`), then `tensor <name> <dtype> <d0,d1,...> <hex>\n` per tensor in
    /// byte order of the names. Independent of how a writer laid out the file.
    public static func compute(manifest: Manifest, tensors: [PackageTensor]) -> Digest {
        var text = "facelet-content-v1\n"
        text += "manifest \(Digest.sha256(manifest.canonicalJSON()).hex)\n"
        for tensor in tensors.sorted(by: { NameOrder.less($0.name, $1.name) }) {
            let dims = tensor.shape.map(String.init).joined(separator: ",")
            text += "tensor \(tensor.name) \(tensor.dtype.rawValue) \(dims) \(tensor.sha256.hex)\n"
        }
        return Digest.sha256(Data(text.utf8))
    }
}
