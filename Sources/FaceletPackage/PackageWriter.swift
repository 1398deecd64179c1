import Foundation

/// Writes packages in the one deterministic layout of docs/format.md.
public enum PackageWriter {
    /// Encodes `manifest` and `tensors` as package bytes.
    ///
    /// Fills `manifest.tensors` with each tensor's SHA-256, validates everything the reader
    /// would, sorts tensors by name, lays them out back to back and pads the header with spaces
    /// to a multiple of 8, so equal content always gives equal bytes.
    /// - Returns: the file's bytes and the package they hold (with its content digest).
    /// - Throws: `PackageError` naming the first rule the content breaks.
    public static func encode(_ manifest: Manifest,
                              tensors: [PackageTensor]) throws(PackageError) -> (data: Data,
                                                                                 package: Package) {
        // TODO: implement (in progress).
        throw PackageError(.badManifest, "writer not implemented yet")
    }
}
