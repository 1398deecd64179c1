import Foundation

/// Reads the tensors of any safetensors file (a Facelet package or a model hub's file); the
/// metadata is ignored. The header is parsed by Foundation's `JSONSerialization`.
enum SafetensorsFile {
    /// The largest header accepted: 100 MiB (the safetensors library's own limit).
    static let maxHeaderBytes: UInt64 = 100 << 20

    static func read(_ data: Data) throws(ImportError) -> StateDict {
        let bytes = [UInt8](data.prefix(8))
        guard bytes.count == 8 else { throw bad("the file is shorter than 8 bytes") }
        let length = bytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard length <= maxHeaderBytes, length <= UInt64(data.count - 8) else {
            throw bad("the header length \(length) runs past the end of the file")
        }
        let start = data.startIndex + 8
        let headerData = data.subdata(in: start..<(start + Int(length)))
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: headerData)
                    as? [String: Any] else {
                throw bad("the header is not a JSON object")
            }
            object = parsed
        } catch let error as ImportError {
            throw error
        } catch {
            throw bad("the header is not valid JSON")
        }
        let dataStart = start + Int(length)
        let dataLength = data.endIndex - dataStart
        var entries: [(begin: Int, tensor: StateTensor)] = []
        for (key, value) in object where key != "__metadata__" {
            let context = ["tensor.key": String(key.prefix(80))]
            guard let entry = value as? [String: Any],
                  let dtypeName = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int],
                  let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 else {
                throw bad("entry \(key.prefix(80)) lacks dtype, shape or data_offsets",
                          context: context)
            }
            guard let dtype = TorchDType(safetensorsName: dtypeName) else {
                throw ImportError(.unsupportedDtype,
                                  "\(key.prefix(80)) has dtype \(dtypeName.prefix(16)), which"
                                  + " cannot be imported", context: context)
            }
            var count = 1
            for dim in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: dim)
                guard dim >= 0, !overflow, product <= Int.max / 16 else {
                    throw bad("\(key.prefix(80)) has an invalid shape \(shape)", context: context)
                }
                count = product
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataLength,
                  end - begin == count * dtype.size else {
                throw bad("\(key.prefix(80)) has data_offsets [\(begin), \(end)] that do not"
                          + " fit \(shape) of \(dtypeName) in \(dataLength) data bytes",
                          context: context)
            }
            let range = (dataStart + begin)..<(dataStart + end)
            let tensor = StateTensor(key: key, dtype: dtype, shape: shape,
                                     bytes: data.subdata(in: range))
            entries.append((begin, tensor))
        }
        // File order: by position in the data section, then by name for empty tensors.
        let ordered = entries.sorted { ($0.begin, $0.tensor.key) < ($1.begin, $1.tensor.key) }
        return StateDict(tensors: ordered.map(\.tensor))
    }

    private static func bad(_ message: String, context: [String: String] = [:]) -> ImportError {
        ImportError(.badSafetensors, message, context: context)
    }
}
