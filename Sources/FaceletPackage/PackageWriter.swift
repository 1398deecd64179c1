import Foundation

/// Writes packages in the one deterministic layout of docs/format.md.
public enum PackageWriter {
    /// Encodes `manifest` and `tensors` as package bytes.
    ///
    /// Fills `manifest.tensors` with each tensor's SHA-256, validates everything the reader
    /// would, sorts tensors by name, lays them out back to back and pads the header with spaces
    /// to a multiple of 8, so equal content always gives equal bytes. The metadata holds
    /// `facelet.format` = `"1"` and `facelet.manifest` = the manifest's canonical JSON.
    /// - Returns: the file's bytes and the package they hold (with its content digest).
    /// - Throws: `PackageError` naming the first rule the content breaks.
    public static func encode(_ manifest: Manifest, tensors: [PackageTensor])
        throws(PackageError) -> (data: Data, package: Package) {
        let sorted = tensors.sorted { NameOrder.less($0.name, $1.name) }
        var filled = manifest
        filled.tensors = [:]
        for tensor in sorted {
            try TensorName.validate(tensor.name)
            guard filled.tensors.updateValue(tensor.sha256.hex, forKey: tensor.name) == nil else {
                throw PackageError(.duplicateName,
                                   "two tensors are named \"\(tensor.name)\"",
                                   context: ["tensor.name": tensor.name])
            }
        }
        try filled.validate()
        try ContentRules.check(manifest: filled, sortedTensors: sorted)

        let header = try headerJSON(manifest: filled, sortedTensors: sorted)
        var data = Data()
        data.reserveCapacity(8 + header.count + sorted.reduce(0) { $0 + $1.bytes.count })
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(header)
        for tensor in sorted {
            data.append(tensor.bytes)
        }
        return (data, Package(manifest: filled, sortedTensors: sorted))
    }

    /// Writes the package to `url` atomically.
    /// - Throws: `PackageError` from `encode`, or `.unreadable` when the file cannot be written.
    @discardableResult
    public static func write(_ manifest: Manifest, tensors: [PackageTensor],
                             to url: URL) throws(PackageError) -> Package {
        let (data, package) = try encode(manifest, tensors: tensors)
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw PackageError(.unreadable, "cannot write the package file: \(error)",
                               context: ["file.path": url.path])
        }
        return package
    }

    /// The header JSON, padded with spaces to a multiple of 8 bytes.
    private static func headerJSON(manifest: Manifest,
                                   sortedTensors: [PackageTensor]) throws(PackageError) -> Data {
        let manifestText = String(decoding: manifest.canonicalJSON(), as: UTF8.self)
        var object: [String: Any] = [
            "__metadata__": ["facelet.format": "1", "facelet.manifest": manifestText],
        ]
        var offset = 0
        for tensor in sortedTensors {
            object[tensor.name] = [
                "dtype": tensor.dtype.rawValue,
                "shape": tensor.shape,
                "data_offsets": [offset, offset + tensor.bytes.count],
            ] as [String: Any]
            offset += tensor.bytes.count
        }
        var json: Data
        do {
            json = try JSONSerialization.data(withJSONObject: object,
                                              options: [.sortedKeys, .withoutEscapingSlashes])
        } catch {
            throw PackageError(.badHeader, "cannot encode the header: \(error)")
        }
        guard json.count + 7 <= PackageReader.maxHeaderBytes else {
            throw PackageError(.headerTooLarge,
                               "the header would be \(json.count) bytes, above the 16 MiB cap;"
                               + " use fewer tensors or a shorter description")
        }
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        return json
    }
}
