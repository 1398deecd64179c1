import FaceletPackage
import FaceletStore
import Foundation

/// The checks a version document passes before anything it names is downloaded
/// (docs/remote.md: the client recomputes the content digest and refuses a mismatch).
enum VersionCheck {
    /// - Throws: `RemoteError` `.digestMismatch` or `.badResponse`.
    static func check(_ document: VersionDocument, digest: Digest,
                      url: String) throws(RemoteError) {
        func bad(_ why: String) -> RemoteError {
            RemoteError(.badResponse, "the version document of \(digest) \(why)", url: url,
                        digest: digest.description)
        }
        guard document.format == VersionDocument.currentFormat else {
            throw bad("has format '\(RemoteLocation.printable(document.format))', not "
                      + VersionDocument.currentFormat)
        }
        guard document.digest == digest else {
            throw RemoteError(.digestMismatch,
                              "asked for version \(digest) and got a document of "
                                  + "\(document.digest); the remote is inconsistent",
                              url: url, digest: digest.description)
        }
        let manifest: Manifest
        do {
            manifest = try Manifest.decode(Data(document.manifestJSON.utf8))
            try manifest.validate()
        } catch {
            throw bad("carries a manifest that is refused: \(error.message)")
        }
        guard manifest.name == document.name, manifest.version == document.version,
              manifest.kind == document.kind, manifest.backbone == document.backbone else {
            throw bad("names \(RemoteLocation.printable(document.name)):"
                      + "\(RemoteLocation.printable(document.version)) but its manifest is "
                      + "\(manifest.name):\(manifest.version)")
        }
        var listed: [String: String] = [:]
        for tensor in document.tensors {
            guard listed.updateValue(tensor.digest.hex, forKey: tensor.name) == nil else {
                throw bad("lists tensor \(RemoteLocation.printable(tensor.name)) twice")
            }
            guard let size = PackageTensor.byteCount(shape: tensor.shape, dtype: tensor.dtype),
                  Int64(size) == tensor.byteSize else {
                throw bad("gives tensor \(RemoteLocation.printable(tensor.name)) "
                          + "\(tensor.byteSize) bytes, which its shape \(tensor.shape) of "
                          + "\(tensor.dtype.rawValue) does not hold")
            }
        }
        guard listed == manifest.tensors else {
            throw bad("lists other tensors than its manifest")
        }
        let entries = document.tensors.map {
            TensorIdentity(name: $0.name, dtype: $0.dtype, shape: $0.shape,
                                sha256: $0.digest)
        }
        let recomputed = ContentDigest.compute(manifest: manifest, identities: entries)
        guard recomputed == digest else {
            throw RemoteError(.digestMismatch,
                              "the version document of \(digest) describes content with digest "
                                  + "\(recomputed); the remote holds altered data (nothing was "
                                  + "downloaded)", url: url, digest: digest.description)
        }
    }
}
