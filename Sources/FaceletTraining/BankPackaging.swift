import FaceletModel
import FaceletPackage
import FaceletTensor
import Foundation

/// Turns trained banks into packages (docs/format.md, "Bank tensors") and writes them safely.
public enum BankPackaging {
    /// The bank's tensors: `<level>.<i>.weight` `[C, C, 3, 3]` and `<level>.<i>.bias` `[C]`.
    public static func tensors(_ network: BankNetwork) -> [PackageTensor] {
        var out: [PackageTensor] = []
        for (l, level) in network.levels.enumerated() {
            let c = network.channels[l]
            for layer in 0 ..< 3 {
                out.append(.float32(name: "\(level).\(layer).weight", shape: [c, c, 3, 3],
                                    values: network.parameters[6 * l + 2 * layer]))
                out.append(.float32(name: "\(level).\(layer).bias", shape: [c],
                                    values: network.parameters[6 * l + 2 * layer + 1]))
            }
        }
        return out
    }

    /// The global-mean baseline (Eq. 5) as a bank: every weight zero and the last bias the
    /// per-channel mean difference, so the bank outputs that constant at every position.
    ///
    /// Eq. 5's Δv = mean ψ(Y) − mean ψ(X) is a full feature map; a bank of convolutions cannot
    /// output a position-dependent constant map, so its spatial mean per channel is stored.
    ///
    /// - Parameter meanDifference: per level, the per-channel mean of ψ(Y) minus that of ψ(X).
    public static func globalMeanNetwork(levels: [String], channels: [Int],
                                         meanDifference: [[Float]],
                                         padding: [FaceletTensor.Padding] = [.zero, .zero, .zero])
        -> BankNetwork {
        precondition(meanDifference.count == levels.count, "One difference per level")
        var parameters: [[Float]] = []
        for (l, c) in channels.enumerated() {
            for layer in 0 ..< 3 {
                parameters.append([Float](repeating: 0, count: c * c * 9))
                parameters.append(layer == 2 ? meanDifference[l]
                                             : [Float](repeating: 0, count: c))
            }
        }
        return BankNetwork(levels: levels, channels: channels, padding: padding,
                           parameters: parameters)
    }

    /// Encodes a bank package bound to `backbone`.
    ///
    /// - Throws: `TrainingError` `invalid-option` when the name, version or provenance are
    ///   refused by the package writer.
    public static func encode(_ network: BankNetwork, backbone: Backbone, name: String,
                              version: String, description: String = "",
                              strength: StrengthRange = StrengthRange(default: 1, min: -1,
                                                                      max: 2),
                              guide: ChangeGuide? = nil,
                              provenance: [String: String])
        throws(TrainingError) -> (data: Data, package: Package) {
        let padding = network.padding.compactMap { FaceletPackage.Padding(rawValue: $0.rawValue) }
        let manifest = Manifest(kind: .bank, name: name, version: version,
                                description: description, backbone: backbone.contentDigest,
                                levels: network.levels, strength: strength,
                                bank: BankDescription(padding: padding, guide: guide),
                                provenance: provenance)
        do {
            return try PackageWriter.encode(manifest, tensors: tensors(network))
        } catch {
            throw TrainingError(.invalidOption, "The bank package was refused: \(error)")
        }
    }

    /// Writes package bytes to `url` atomically (a temporary file renamed into place), so an
    /// interrupted write never leaves a broken package behind.
    public static func write(_ data: Data, to url: URL) throws(TrainingError) {
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw TrainingError(.io, "Cannot write the package: \(error)", path: url.path)
        }
    }
}
