import FaceletPackage
import FaceletTensor
import Foundation

/// The state of an interrupted decoder training run, written atomically (temporary file,
/// then rename) so a crash never leaves a half-written checkpoint behind.
///
/// Layout: the 8 bytes `FDCKPT01`, the header length as an unsigned 64-bit little-endian
/// integer, the header (JSON: the run's identity — options, photo set and encoder digests,
/// architecture — the step reached, the parameter shapes and Adam's scalars), then the decoder's
/// parameters, Adam's first moments and Adam's second moments as float32 little-endian, in
/// parameter order (bit exact, so a resumed run continues exactly).
struct DecoderCheckpoint {
    struct Header: Codable {
        var format: Int
        var step: Int
        var options: DecoderTrainingOptions
        var photoSetDigest: String
        var encoderDigest: String
        var architecture: Architecture
        var parameterNames: [String]
        var parameterShapes: [[Int]]
        var adamStep: Int
        var adamLearningRate: Float
        var adamBeta1: Float
        var adamBeta2: Float
        var adamEpsilon: Float
        var lastLoss: DecoderLoss?
    }

    static let magic = Data("FDCKPT01".utf8)

    var header: Header
    var parameters: [Tensor]
    var optimizer: Adam

    var step: Int { header.step }
    var lastLoss: DecoderLoss? { header.lastLoss }

    /// Writes the checkpoint next to `url` and renames it into place.
    func write(to url: URL) throws(TrainingError) {
        var data = Self.magic
        do {
            let encoder = JSONEncoder()
            encoder.nonConformingFloatEncodingStrategy = .throw
            let json = try encoder.encode(header)
            withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
            data.append(json)
            for tensor in parameters { data.append(Self.encode(tensor.data)) }
            for buffer in optimizer.firstMoments { data.append(Self.encode(buffer)) }
            for buffer in optimizer.secondMoments { data.append(Self.encode(buffer)) }
            try data.write(to: url, options: .atomic)
        } catch {
            throw TrainingError(.io, "cannot write the checkpoint: \(error); check the folder "
                                    + "exists and is writable", path: url.path)
        }
    }

    /// Reads a checkpoint, or `nil` when the file does not exist.
    static func read(from url: URL) throws(TrainingError) -> DecoderCheckpoint? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        func bad(_ why: String) -> TrainingError {
            TrainingError(.badCheckpoint, "the decoder checkpoint is damaged (\(why)); delete "
                            + "it to start over", path: url.path)
        }
        guard let data = try? Data(contentsOf: url) else { throw bad("unreadable") }
        let bytes = [UInt8](data)
        guard bytes.count >= 16, Data(bytes[0..<8]) == magic else { throw bad("no header") }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[8 + i]) << (8 * UInt64(i)) }
        guard length <= UInt64(bytes.count - 16) else { throw bad("header length") }
        let headerEnd = 16 + Int(length)
        guard let header = try? JSONDecoder().decode(Header.self,
                                                     from: Data(bytes[16..<headerEnd])),
              header.format == 1, header.parameterShapes.count == header.parameterNames.count,
              header.parameterShapes.allSatisfy({ shape in
                  shape.allSatisfy { $0 >= 0 && $0 < 1 << 20 } && shape.count <= 4
              }),
              header.adamStep >= 0
        else { throw bad("header") }
        let counts = header.parameterShapes.map { Tensor.elementCount($0) }
        guard counts.allSatisfy({ $0 < 1 << 28 }),
              bytes.count - headerEnd == 3 * 4 * counts.reduce(0, +)
        else { throw bad("size") }
        var cursor = headerEnd
        func buffers() -> [[Float]] {
            counts.map { count in
                let values = Self.decode(bytes[cursor..<(cursor + 4 * count)])
                cursor += 4 * count
                return values
            }
        }
        let parameters = zip(buffers(), header.parameterShapes).map { values, shape in
            Tensor(shape: shape, data: values)
        }
        let first = buffers()
        let second = buffers()
        let optimizer = Adam(restoring: header.adamStep, learningRate: header.adamLearningRate,
                             beta1: header.adamBeta1, beta2: header.adamBeta2,
                             epsilon: header.adamEpsilon, firstMoments: first,
                             secondMoments: second)
        return DecoderCheckpoint(header: header, parameters: parameters, optimizer: optimizer)
    }

    static func encode(_ values: [Float]) -> Data {
        var data = Data(capacity: values.count * 4)
        for value in values {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
        }
        return data
    }

    static func decode(_ bytes: ArraySlice<UInt8>) -> [Float] {
        var values = [Float](repeating: 0, count: bytes.count / 4)
        var index = bytes.startIndex
        for i in values.indices {
            let bits = UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8
                | UInt32(bytes[index + 2]) << 16 | UInt32(bytes[index + 3]) << 24
            values[i] = Float(bitPattern: bits)
            index += 4
        }
        return values
    }

    /// Restores the parameters into `backbone`, checking the checkpoint belongs to this run.
    func restore(into backbone: inout TrainableBackbone, options expected: DecoderTrainingOptions,
                 photoSetDigest expectedDigest: String, encoderDigest expectedEncoder: String,
                 path: String) throws(TrainingError) {
        func mismatch(_ what: String) -> TrainingError {
            TrainingError(.badCheckpoint, "the checkpoint belongs to another run (\(what) "
                            + "differs); delete it or use the same settings", path: path)
        }
        var comparable = header.options
        comparable.steps = expected.steps
        comparable.evaluationInterval = expected.evaluationInterval
        comparable.checkpointInterval = expected.checkpointInterval
        guard comparable == expected else { throw mismatch("the options") }
        guard header.photoSetDigest == expectedDigest else { throw mismatch("the photo set") }
        guard header.encoderDigest == expectedEncoder else { throw mismatch("the encoder") }
        let counts = backbone.decoderParameters.map(\.count)
        guard header.architecture == backbone.architecture,
              header.parameterNames == backbone.decoderParameterNames,
              header.parameterShapes == backbone.decoderParameters.map(\.shape),
              optimizer.firstMoments.map(\.count) == counts
        else { throw mismatch("the backbone") }
        guard step <= expected.steps else { throw mismatch("the step count") }
        guard parameters.allSatisfy({ $0.data.allSatisfy(\.isFinite) }) else {
            throw TrainingError(.badCheckpoint, "a parameter in the checkpoint is not finite; "
                                    + "delete it to start over", path: path)
        }
        backbone.decoderParameters = parameters
    }
}
