import FaceletTensor
import Foundation

/// Everything needed to continue a bank training after an interruption: the parameters, the
/// Adam state, the generator state and the number of epochs done, plus a fingerprint of the
/// run's inputs so a checkpoint is never resumed into a different run.
///
/// File layout: the 8 bytes `FBCKPT01`, a little-endian UInt64 header length, a JSON header
/// (this struct without the buffers, plus each buffer's element count), then every buffer as
/// little-endian float32, in the order parameters, first moments, second moments. The file is
/// written to a temporary name and renamed over the old one, so a crash mid-write leaves the
/// previous checkpoint intact.
public struct TrainingCheckpoint: Sendable, Equatable {
    /// Identifies the run (inputs and options); resuming checks it.
    public var fingerprint: String
    /// Epochs completed.
    public var epoch: Int
    /// The bank's parameters (in training units).
    public var network: BankNetwork
    /// The optimiser state.
    public var optimiser: Adam
    /// The generator's state after `epoch` epochs.
    public var random: TrainingRandom
    /// The mean loss of each completed epoch.
    public var losses: [Float]

    /// Makes a checkpoint.
    public init(fingerprint: String, epoch: Int, network: BankNetwork, optimiser: Adam,
                random: TrainingRandom, losses: [Float]) {
        self.fingerprint = fingerprint
        self.epoch = epoch
        self.network = network
        self.optimiser = optimiser
        self.random = random
        self.losses = losses
    }

    private struct Header: Codable {
        var format: Int
        var fingerprint: String
        var epoch: Int
        var levels: [String]
        var channels: [Int]
        var padding: [String]
        var learningRate: Float
        var beta1: Float
        var beta2: Float
        var epsilon: Float
        var step: Int
        var randomState: String
        var losses: [Float]
        var counts: [Int]
    }

    private static let magic = Data("FBCKPT01".utf8)

    /// Writes the checkpoint atomically (temporary file, then rename).
    public func write(to url: URL) throws(TrainingError) {
        let header = Header(
            format: 1, fingerprint: fingerprint, epoch: epoch, levels: network.levels,
            channels: network.channels, padding: network.padding.map(\.rawValue),
            learningRate: optimiser.learningRate, beta1: optimiser.beta1,
            beta2: optimiser.beta2, epsilon: optimiser.epsilon, step: optimiser.step,
            randomState: String(random.state), losses: losses,
            counts: network.parameterCounts)
        var data = TrainingCheckpoint.magic
        guard let json = try? JSONEncoder().encode(header) else {
            throw TrainingError(.io, "Cannot encode the checkpoint header")
        }
        var length = UInt64(json.count).littleEndian
        data.append(Data(bytes: &length, count: 8))
        data.append(json)
        for buffers in [network.parameters, optimiser.firstMoments, optimiser.secondMoments] {
            for buffer in buffers {
                buffer.withUnsafeBufferPointer { data.append(Data(buffer: $0)) }
            }
        }
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw TrainingError(.io, "Cannot write the checkpoint: \(error)", path: url.path)
        }
    }

    /// Reads a checkpoint written by `write(to:)`.
    ///
    /// - Throws: `TrainingError` `bad-checkpoint` when the file is not a complete checkpoint.
    public static func read(from url: URL) throws(TrainingError) -> TrainingCheckpoint {
        guard let data = try? Data(contentsOf: url) else {
            throw TrainingError(.badCheckpoint, "Cannot read the checkpoint", path: url.path)
        }
        func bad(_ why: String) -> TrainingError {
            TrainingError(.badCheckpoint, "The checkpoint is damaged (\(why)); delete it to "
                              + "start the training afresh", path: url.path)
        }
        guard data.count >= 16, data.prefix(8) == magic else { throw bad("no header") }
        var length: UInt64 = 0
        for (i, byte) in data[data.startIndex + 8 ..< data.startIndex + 16].enumerated() {
            length |= UInt64(byte) << (8 * UInt64(i))
        }
        guard length <= UInt64(data.count - 16) else { throw bad("header length") }
        let headerEnd = 16 + Int(length)
        guard let header = try? JSONDecoder().decode(
                Header.self, from: data.subdata(in: 16 ..< headerEnd)),
              header.format == 1, let state = UInt64(header.randomState),
              header.levels.count == header.channels.count, header.padding.count == 3,
              header.counts.count == 6 * header.levels.count,
              header.counts.allSatisfy({ $0 >= 0 && $0 < 1 << 30 }) else {
            throw bad("header")
        }
        let floats = header.counts.reduce(0, +) * 3
        guard data.count - headerEnd == floats * 4 else { throw bad("size") }
        var cursor = headerEnd
        func buffers() -> [[Float]] {
            header.counts.map { count in
                let slice = data.subdata(in: cursor ..< cursor + 4 * count)
                cursor += 4 * count
                return slice.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            }
        }
        let parameters = buffers()
        let first = buffers()
        let second = buffers()
        let padding = header.padding.compactMap(Padding.init(rawValue:))
        guard padding.count == 3 else { throw bad("padding") }
        for (i, c) in header.channels.enumerated() where c <= 0
            || header.counts[6 * i] != c * c * 9 || header.counts[6 * i + 1] != c {
            throw bad("parameter sizes")
        }
        let network = BankNetwork(levels: header.levels, channels: header.channels,
                                  padding: padding, parameters: parameters)
        let adam = Adam(restoring: header.step, learningRate: header.learningRate,
                        beta1: header.beta1, beta2: header.beta2, epsilon: header.epsilon,
                        firstMoments: first, secondMoments: second)
        return TrainingCheckpoint(fingerprint: header.fingerprint, epoch: header.epoch,
                                  network: network, optimiser: adam,
                                  random: TrainingRandom(seed: state), losses: header.losses)
    }
}
