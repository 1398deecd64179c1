import FaceletImaging
import FaceletModel
import FaceletPackage
import FaceletTensor
import Foundation

/// Settings of the known-answer benchmark.
public struct EffectBenchmarkOptions: Sendable, Equatable, Codable {
    /// The training (crop size, samples per set, K, Adam settings, seed).
    public var training: BankTrainingConfiguration
    /// Photos held out for evaluation (the last ones by name); at least one photo is left to
    /// train on.
    public var heldOut: Int
    /// Evaluation crops per held-out photo (deterministic, at the training crop size).
    public var samplesPerHeldOutPhoto: Int
    /// The strengths λ tried for the best-λ figure (λ = 1 is always reported).
    public var strengths: [Double]

    /// Makes options.
    public init(training: BankTrainingConfiguration = .init(), heldOut: Int = 1,
                samplesPerHeldOutPhoto: Int = 8,
                strengths: [Double] = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 2]) {
        self.training = training
        self.heldOut = heldOut
        self.samplesPerHeldOutPhoto = samplesPerHeldOutPhoto
        self.strengths = strengths
    }
}

/// One method's figures on the held-out photos.
public struct MethodBenchmark: Sendable, Equatable, Codable {
    /// The method.
    public var method: BankMethod
    /// Mean closure 1 − ‖z − T(x)‖ / ‖x − T(x)‖ at λ = 1 (1 closes the whole distance, 0 does
    /// nothing, negative moves away).
    public var closure: Double
    /// The λ of the grid with the best mean closure.
    public var bestStrength: Double
    /// The mean closure at that λ.
    public var bestClosure: Double
    /// Local transforms: the mean share of the combined heat-map mass inside T's region (mask
    /// weight > 0); nil for global transforms.
    public var regionShare: Double?
    /// Local transforms: the same share for each level's own map (Eq. 8), by level name.
    public var levelRegionShares: [String: Double]?
    /// Mean closure in feature space at λ = 1: 1 − ‖ψ(x) + Δv − ψ(T(x))‖ / ‖ψ(x) − ψ(T(x))‖
    /// over all the effect's levels. It measures the effect itself, apart from the decoder.
    public var featureClosure: Double
    /// Eq. 7 after training (training units), for the facelet method.
    public var finalLoss: Double?
    /// Seconds to build the method's effect (training for facelet).
    public var seconds: Double
}

/// Decoder reconstruction quality on the held-out crops.
public struct ReconstructionBenchmark: Sendable, Equatable, Codable {
    /// Mean PSNR (dB) of the λ = 0 edit path (what a user sees at strength 0) against x.
    public var editPathPSNR: Double
    /// Mean PSNR (dB) of denormalise(D(ψ(x))) alone against x; nil for an `affine-difference`
    /// decoder, whose output is a colour transform of the photo, not an image rebuilt from ψ.
    public var decoderPSNR: Double?
}

/// The benchmark's result (`facelet-registry benchmark`, printed or as `--json`).
public struct EffectBenchmarkResult: Sendable, Equatable, Codable {
    /// The transform's name.
    public var transform: String
    /// Whether the transform is global or local.
    public var kind: PhotoTransform.Kind
    /// The backbone's content digest.
    public var backbone: String
    /// Photos trained on / held out.
    public var trainingPhotos: Int
    /// Photos held out.
    public var heldOutPhotos: Int
    /// Evaluation crops (held-out photos × crops per photo).
    public var evaluationSamples: Int
    /// Training crops per set.
    public var trainingSamples: Int
    /// The crop side in pixels.
    public var cropSize: Int
    /// The K used.
    public var k: Int
    /// The levels the effects act on.
    public var levels: [String]
    /// Whether Y was T of the very crops of X (`BankTrainingConfiguration.pairedCrops`).
    public var paired: Bool
    /// The guided change every method and the oracle were rendered with, if any.
    public var guide: ChangeGuide?
    /// With a paired Y: the share of X's crops whose nearest neighbour in Y (on Eq. 6's
    /// neighbour keys) is their own edit T(x); nil when unpaired. Eq. 6 never sees the pairing;
    /// this says how often its neighbour search rediscovers it.
    public var ownEditFound: Double?
    /// One entry per method: global-mean, knn, facelet.
    public var methods: [MethodBenchmark]
    /// Decoder reconstruction quality.
    public var reconstruction: ReconstructionBenchmark
    /// Mean ‖x − T(x)‖ per pixel-channel (RMS) on the evaluation crops, for scale.
    public var transformRMS: Double
    /// The decoder's ceiling: the mean closure at λ = 1 when Δv is the exact feature change
    /// ψ(T(x)) − ψ(x) at the effect's levels. No method acting on those levels can be expected
    /// to do better through this decoder.
    public var oracleClosure: Double
    /// Local transforms: the region share of the oracle's heat map (of ψ(T(x)) − ψ(x)) — how
    /// concentrated the exact feature change itself is, through the encoder's receptive fields.
    public var oracleRegionShare: Double?
    /// Local transforms: the oracle's share for each level's own map, by level name.
    public var oracleLevelRegionShares: [String: Double]?
    /// Local transforms: the mean fraction of the crop inside T's region (mask > 0), the share
    /// a heat map spread evenly over the crop would get.
    public var regionArea: Double?
    /// Warnings met.
    public var warnings: [String]
}

/// Measures how well each method learns an effect with a known answer: X = crops of the
/// training photos, Y = T of other crops of the same photos (unpaired, as `train` would see
/// them: drawn with `train`'s target seed, so no crop of X has its own edit in Y) or, with
/// `training.pairedCrops`, T of the very crops of X; each method is applied to crops of
/// held-out photos and compared with T of those crops.
public enum EffectBenchmark {
    /// Runs the benchmark.
    ///
    /// - Throws: `TrainingError` `invalid-option` when there are too few photos to hold some
    ///   out, or any training error.
    public static func run(backbone: Backbone, photos: PhotoSet, transform: PhotoTransform,
                           options: EffectBenchmarkOptions = .init(),
                           progress: (TrainingProgress) -> Void = { _ in },
                           log: (String) -> Void = { _ in })
        throws(TrainingError) -> EffectBenchmarkResult {
        guard options.heldOut >= 1, options.heldOut < photos.count else {
            throw TrainingError(.invalidOption, "The benchmark needs at least 2 photos and "
                + "1...\(max(1, photos.count - 1)) held out; got \(photos.count) photos and "
                + "\(options.heldOut) held out")
        }
        guard options.samplesPerHeldOutPhoto >= 1, !options.strengths.isEmpty else {
            throw TrainingError(.invalidOption, "Give at least one evaluation crop and strength")
        }
        let (trainSet, heldOutSet) = photos.split(heldOut: options.heldOut)
        var configuration = options.training
        configuration.method = .facelet
        let job = BankTrainingJob(backbone: backbone, configuration: configuration)
        let crop = configuration.crop
        let seed = configuration.training.seed
        let seeds = configuration.cropSeeds
        let clock = ContinuousClock()

        let started = clock.now
        let prepared = try job.prepare(
            sourceSample: { trainSet.sample($0, options: crop, seed: seeds.source) },
            targetSample: { transform.apply(trainSet.sample($0, options: crop,
                                                           seed: seeds.target)).image },
            log: log)
        let featureSeconds = BankTrainingJob.seconds(clock.now - started)
        guard let targets = prepared.pseudoTargets else {
            preconditionFailure("prepare computes the targets")
        }

        log("training the facelet bank")
        let faceletStart = clock.now
        let facelet = try job.finish(prepared, sourceDigest: trainSet.digest,
                                     targetDigest: trainSet.digest, warnings: [],
                                     name: "benchmark-facelet", version: "1",
                                     fingerprint: "", progress: progress)
        let faceletSeconds = BankTrainingJob.seconds(clock.now - faceletStart) + featureSeconds
        var meanJob = job
        meanJob.configuration.method = .globalMean
        let meanStart = clock.now
        let globalMean = try meanJob.finish(prepared, sourceDigest: trainSet.digest,
                                            targetDigest: trainSet.digest, warnings: [],
                                            name: "benchmark-global-mean", version: "1",
                                            fingerprint: "")
        let meanSeconds = BankTrainingJob.seconds(clock.now - meanStart) + featureSeconds
        let faceletBank = try bank(facelet.package, backbone: backbone)
        let meanBank = try bank(globalMean.package, backbone: backbone)
        let knn = KNNEffect(source: prepared.source, target: prepared.target,
                            k: configuration.k)

        log("evaluating on \(heldOutSet.count) held-out photo(s)")
        var tally = Tally(strengths: options.strengths)
        let evaluationSeed = seed &+ 0xE7A1
        let count = heldOutSet.count * options.samplesPerHeldOutPhoto
        // The oracle acts where the methods act, so it bounds what they can reach.
        let effectLevels = Set(configuration.levels ?? backbone.levels.map(\.name))
        var strides: [String: Int] = [:]
        for level in backbone.levels { strides[level.name] = level.stride }
        for index in 0 ..< count {
            let x = heldOutSet.sample(index, options: crop, seed: evaluationSeed)
            let (tx, mask) = transform.apply(x)
            let renderer = EditRenderer(backbone: backbone,
                                        image: FeatureExtraction.tensor(x),
                                        guide: configuration.guide.map(GuidedChange.init))
            let padding: InputPadding
            do {
                padding = try InputPadding(width: x.width, height: x.height,
                                           backbone: backbone)
            } catch {
                throw TrainingError(.invalidOption, "Crop too small: \(error)")
            }
            let deltas: [FeatureSet] = [
                meanBank.delta(renderer.features),
                try knn.delta(renderer.features),
                faceletBank.delta(renderer.features),
            ]
            tally.addReconstruction(renderer: renderer, x: x)
            let transformed = backbone.encode(FeatureExtraction.tensor(tx))
            var oracle = FeatureSet()
            for (name, feature) in renderer.features.levels {
                guard effectLevels.contains(name), let target = transformed[name] else {
                    continue
                }
                oracle[name] = Ops.addScaled(target, feature, scale: -1)
            }
            let distance = norm(x.pixels, tx.pixels)
            tally.transformSquares += Double(distance * distance)
                / Double(max(1, x.pixels.count))
            let oracleImage = renderer.render(delta: oracle, strength: 1)
            tally.oracle += distance > 0 ? 1 - Double(norm(oracleImage.data, tx.pixels) / distance)
                                         : 0
            if transform.isLocal {
                let heat = HeatMap(delta: oracle, padding: padding, strides: strides)
                tally.oracleShare += regionShare(heat.combined, mask: mask)
                Self.addLevelShares(heat, mask: mask, into: &tally.oracleLevelShares)
                tally.regionArea += Double(mask.filter { $0 > 0 }.count) / Double(mask.count)
            }
            for (m, delta) in deltas.enumerated() {
                tally.featureClosures[m] += featureClosure(features: renderer.features,
                                                           delta: delta, target: oracle)
                for (s, strength) in options.strengths.enumerated() {
                    let z = renderer.render(delta: delta, strength: Float(strength))
                    let closure = distance > 0 ? 1 - Double(norm(z.data, tx.pixels) / distance) : 0
                    tally.closures[m][s] += closure
                }
                let one = renderer.render(delta: delta, strength: 1)
                let closureOne = distance > 0 ? 1 - Double(norm(one.data, tx.pixels) / distance)
                                              : 0
                tally.closureAtOne[m] += closureOne
                if transform.isLocal {
                    let heat = HeatMap(delta: delta, padding: padding, strides: strides)
                    tally.shares[m] += regionShare(heat.combined, mask: mask)
                    Self.addLevelShares(heat, mask: mask, into: &tally.levelShares[m])
                }
            }
        }

        let n = Double(count)
        let methods: [(BankMethod, Double, Double?)] = [
            (.globalMean, meanSeconds, nil), (.knn, featureSeconds, nil),
            (.facelet, faceletSeconds, Double(facelet.report.finalLoss)),
        ]
        var results: [MethodBenchmark] = []
        for (m, entry) in methods.enumerated() {
            let means = tally.closures[m].map { $0 / n }
            let best = means.indices.max { means[$0] < means[$1] } ?? 0
            results.append(MethodBenchmark(
                method: entry.0, closure: tally.closureAtOne[m] / n,
                bestStrength: options.strengths[best], bestClosure: means[best],
                regionShare: transform.isLocal ? tally.shares[m] / n : nil,
                levelRegionShares: transform.isLocal
                    ? tally.levelShares[m].mapValues { $0 / n } : nil,
                featureClosure: tally.featureClosures[m] / n, finalLoss: entry.2,
                seconds: entry.1))
        }
        return EffectBenchmarkResult(
            transform: transform.name, kind: transform.kind,
            backbone: backbone.contentDigest.description, trainingPhotos: trainSet.count,
            heldOutPhotos: heldOutSet.count, evaluationSamples: count,
            trainingSamples: configuration.samplesPerSet, cropSize: crop.size,
            k: targets.kTarget, levels: prepared.source.layout.levels.map(\.name),
            paired: configuration.pairedCrops, guide: configuration.guide,
            ownEditFound: configuration.pairedCrops ? Self.ownEditShare(prepared) : nil,
            methods: results,
            reconstruction: ReconstructionBenchmark(editPathPSNR: tally.editPSNR / n,
                                                    decoderPSNR: tally.decoderPSNR.map { $0 / n }),
            transformRMS: (tally.transformSquares / n).squareRoot(),
            oracleClosure: tally.oracle / n,
            oracleRegionShare: transform.isLocal ? tally.oracleShare / n : nil,
            oracleLevelRegionShares: transform.isLocal
                ? tally.oracleLevelShares.mapValues { $0 / n } : nil,
            regionArea: transform.isLocal ? tally.regionArea / n : nil,
            warnings: photos.warnings + facelet.report.warnings)
    }

    /// The share of X's samples whose nearest neighbour in Y is the sample of the same index.
    static func ownEditShare(_ prepared: PreparedSets) -> Double {
        let (keysX, keysY) = (prepared.source.neighbourKeys, prepared.target.neighbourKeys)
        guard !keysX.isEmpty, keysX.count == keysY.count else { return 0 }
        let found = keysX.indices.filter {
            PseudoTargets.nearest(keysX[$0], in: keysY, k: 1) == [$0]
        }
        return Double(found.count) / Double(keysX.count)
    }

    private static func addLevelShares(_ heat: HeatMap, mask: [Float],
                                       into sums: inout [String: Double]) {
        for level in heat.levels {
            guard let map = heat.photoMap(level: level.name) else { continue }
            sums[level.name, default: 0] += regionShare(map, mask: mask)
        }
    }

    /// The share of a heat map's mass where `mask > 0` (0 when the map is all zero).
    public static func regionShare(_ heat: [Float], mask: [Float]) -> Double {
        precondition(heat.count == mask.count, "Heat map and mask sizes differ")
        var inside = 0.0
        var total = 0.0
        for i in heat.indices {
            total += Double(heat[i])
            if mask[i] > 0 { inside += Double(heat[i]) }
        }
        return total > 0 ? inside / total : 0
    }

    /// 1 − ‖Δv − Δ‖ / ‖Δ‖ over the levels of `delta`, with Δ = `target` (ψ(T(x)) − ψ(x)).
    static func featureClosure(features: FeatureSet, delta: FeatureSet,
                               target: FeatureSet) -> Double {
        var error = 0.0
        var size = 0.0
        for (name, change) in delta.levels {
            guard let wanted = target[name] else { continue }
            for i in change.data.indices {
                let d = Double(change.data[i]) - Double(wanted.data[i])
                error += d * d
                size += Double(wanted.data[i]) * Double(wanted.data[i])
            }
        }
        return size > 0 ? 1 - (error / size).squareRoot() : 0
    }

    /// PSNR in dB of `a` against `b` for values in [0, 1] (capped at 100 dB for equal images).
    public static func psnr(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count && !a.isEmpty, "PSNR needs equal, non-empty images")
        var sum = 0.0
        for i in a.indices {
            let d = Double(a[i]) - Double(b[i])
            sum += d * d
        }
        let mse = sum / Double(a.count)
        return mse > 0 ? min(100, 10 * log10(1 / mse)) : 100
    }

    private static func norm(_ a: [Float], _ b: [Float]) -> Float {
        var sum = 0.0
        for i in a.indices {
            let d = Double(a[i]) - Double(b[i])
            sum += d * d
        }
        return Float(sum.squareRoot())
    }

    private static func bank(_ package: Package,
                             backbone: Backbone) throws(TrainingError) -> FaceletBank {
        do {
            return try FaceletBank(package: package, backbone: backbone)
        } catch {
            throw TrainingError(.backboneMismatch, "The trained bank does not load: \(error)")
        }
    }

    private struct Tally {
        var closures: [[Double]]
        var closureAtOne = [Double](repeating: 0, count: 3)
        var shares = [Double](repeating: 0, count: 3)
        var featureClosures = [Double](repeating: 0, count: 3)
        var oracle = 0.0
        var oracleShare = 0.0
        var levelShares = [[String: Double]](repeating: [:], count: 3)
        var oracleLevelShares: [String: Double] = [:]
        var regionArea = 0.0
        var editPSNR = 0.0
        var decoderPSNR: Double? = 0
        var transformSquares = 0.0

        init(strengths: [Double]) {
            closures = [[Double]](repeating: [Double](repeating: 0, count: strengths.count),
                                  count: 3)
        }

        mutating func addReconstruction(renderer: EditRenderer, x: RGBImage) {
            editPSNR += psnr(renderer.render(delta: nil, strength: 0).data, x.pixels)
            if let alone = renderer.decoderAlone() {
                decoderPSNR? += psnr(alone.data, x.pixels)
            } else {
                decoderPSNR = nil
            }
        }
    }
}
