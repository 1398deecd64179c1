import FaceletImaging
import FaceletModel
import FaceletPackage
import Foundation

/// The settings of one bank training (`facelet-registry train`).
public struct BankTrainingConfiguration: Sendable, Equatable, Codable {
    /// How Δv is obtained.
    public var method: BankMethod
    /// K of Eq. 6 (falls back to a set's size, with a warning, when the set is smaller).
    public var k: Int
    /// Training crops drawn from each photo set.
    public var samplesPerSet: Int
    /// How crops are cut.
    public var crop: CropOptions
    /// The Adam training (epochs, batch, learning rate, seed, padding).
    public var training: BankTrainingOptions
    /// The levels the bank acts on (all of the backbone's when nil).
    public var levels: [String]?
    /// Images encoded per backbone call while extracting features.
    public var extractionBatch: Int
    /// Memory allowed for the pseudo-target accumulators, in bytes.
    public var memoryBudget: Int
    /// Neighbours of Eq. 6 are found on features pooled to this g × g grid per level; 1 pools
    /// each channel to its spatial mean (see `FeatureStore.neighbourKeys`).
    public var neighbourGrid: Int
    /// Whether Y holds X's photos after the effect (same names and sizes, in the same order),
    /// so Y's crops are cut where X's are; otherwise they are drawn independently. Eq. 6 does
    /// not use the pairing: it still finds each x's neighbours by search.
    public var pairedCrops: Bool
    /// The guided change the bank asks for at render time (`bank.guide` of its manifest), if
    /// any. It does not change training; the benchmark renders every method with it.
    public var guide: ChangeGuide?

    /// Makes a configuration; the defaults: facelet, K = 100, 256 crops of 64 px per set.
    public init(method: BankMethod = .facelet, k: Int = 100, samplesPerSet: Int = 256,
                crop: CropOptions = CropOptions(), training: BankTrainingOptions = .init(),
                levels: [String]? = nil, extractionBatch: Int = 8,
                memoryBudget: Int = 256 << 20, neighbourGrid: Int = 1,
                pairedCrops: Bool = false, guide: ChangeGuide? = nil) {
        self.method = method
        self.k = k
        self.samplesPerSet = samplesPerSet
        self.crop = crop
        self.training = training
        self.levels = levels
        self.extractionBatch = extractionBatch
        self.memoryBudget = memoryBudget
        self.neighbourGrid = neighbourGrid
        self.pairedCrops = pairedCrops
        self.guide = guide
    }

    /// The seed offsets of X's and Y's crops: equal when the crops are paired.
    var cropSeeds: (source: UInt64, target: UInt64) {
        let seed = training.seed
        return (seed &+ 0x51, pairedCrops ? seed &+ 0x51 : seed &+ 0x7A)
    }

    /// Checks the ranges.
    ///
    /// - Throws: `TrainingError` `invalid-option`.
    public func validate() throws(TrainingError) {
        guard k >= 1 else { throw TrainingError(.invalidOption, "K must be at least 1") }
        guard samplesPerSet >= 1, samplesPerSet <= 1_000_000 else {
            throw TrainingError(.invalidOption, "Samples per set must lie in 1...1000000")
        }
        guard crop.size <= 256 else {
            throw TrainingError(.invalidOption, "The crop side must be at most 256 px (photos "
                                    + "are reduced to a shorter side of 256 px, so a larger "
                                    + "crop only enlarges them), got \(crop.size)")
        }
        if let guide {
            do {
                try guide.validate()
            } catch {
                throw TrainingError(.invalidOption, error.message)
            }
        }
        guard neighbourGrid >= 1, neighbourGrid <= 64 else {
            throw TrainingError(.invalidOption, "The neighbour grid must lie in 1...64")
        }
        guard extractionBatch >= 1, memoryBudget >= 1 << 20 else {
            throw TrainingError(.invalidOption, "The extraction batch must be positive and "
                                    + "the memory budget at least 1 MiB")
        }
        try training.validate()
    }
}

/// What a finished training reports (also recorded in the package's provenance).
public struct BankTrainingReport: Sendable, Equatable, Codable {
    /// The method used.
    public var method: BankMethod
    /// The K used among Y's samples (after any fallback).
    public var k: Int
    /// Training samples per set.
    public var samples: Int
    /// Eq. 7 before training (training units; see `BankTrainer`).
    public var initialLoss: Float
    /// Eq. 7 after training.
    public var finalLoss: Float
    /// Epochs run.
    public var epochs: Int
    /// Warnings met (skipped files, K fallback).
    public var warnings: [String]
    /// Seconds spent extracting features and computing the targets.
    public var featureSeconds: Double
    /// Seconds spent training.
    public var trainingSeconds: Double
}

/// A finished training: the package bytes (not yet written anywhere) and the report.
public struct BankTrainingResult: Sendable {
    /// The package file's bytes.
    public var data: Data
    /// The package.
    public var package: Package
    /// The bank in feature units.
    public var network: BankNetwork
    /// How the training went.
    public var report: BankTrainingReport
}

/// The features of the two sets and the pseudo targets, ready for training.
public struct PreparedSets {
    /// ψ of the source samples X.
    public var source: FeatureStore
    /// ψ of the target samples Y.
    public var target: FeatureStore
    /// Δv*(x) for each x (nil unless computed).
    public var pseudoTargets: PseudoTargets.Outcome?

    /// Per level, the per-channel mean of ψ(Y) − that of ψ(X) (Eq. 5, spatially averaged).
    public func meanDifference() -> [[Float]] {
        let y = target.meanDescriptor()
        let x = source.meanDescriptor()
        var out: [[Float]] = []
        var offset = 0
        for level in source.layout.levels {
            out.append((offset ..< offset + level.channels).map { y[$0] - x[$0] })
            offset += level.channels
        }
        return out
    }
}

/// Learns a bank from two photo sets on a frozen backbone: ψ of training crops of both sets,
/// the pseudo targets of Eq. 6, then the chosen method.
public struct BankTrainingJob {
    /// The frozen backbone.
    public var backbone: Backbone
    /// The configuration.
    public var configuration: BankTrainingConfiguration

    /// Makes a job.
    public init(backbone: Backbone, configuration: BankTrainingConfiguration) {
        self.backbone = backbone
        self.configuration = configuration
    }

    /// Extracts the features of `sourceSample(0..<n)` and `targetSample(0..<n)` and, unless
    /// `withTargets` is false, the pseudo targets.
    public func prepare(sourceSample: (Int) -> RGBImage, targetSample: (Int) -> RGBImage,
                        withTargets: Bool = true, directory: URL? = nil,
                        log: (String) -> Void = { _ in }) throws(TrainingError) -> PreparedSets {
        try configuration.validate()
        let layout = try FeatureExtraction.layout(backbone: backbone,
                                                  size: configuration.crop.size,
                                                  levels: configuration.levels)
        let n = configuration.samplesPerSet
        log("encoding \(n) source samples")
        let x = try FeatureExtraction.extract(backbone: backbone, layout: layout, count: n,
                                              batchSize: configuration.extractionBatch,
                                              neighbourGrid: configuration.neighbourGrid,
                                              directory: directory, sample: sourceSample)
        log("encoding \(n) target samples")
        let y = try FeatureExtraction.extract(backbone: backbone, layout: layout, count: n,
                                              batchSize: configuration.extractionBatch,
                                              neighbourGrid: configuration.neighbourGrid,
                                              directory: directory, sample: targetSample)
        var prepared = PreparedSets(source: x, target: y, pseudoTargets: nil)
        if withTargets {
            log("computing pseudo targets (K = \(configuration.k))")
            let outcome = try PseudoTargets.compute(source: x, target: y, k: configuration.k,
                                                    memoryBudget: configuration.memoryBudget,
                                                    directory: directory)
            outcome.warnings.forEach(log)
            prepared.pseudoTargets = outcome
        }
        return prepared
    }

    /// The identity of a run, for checkpoints: the backbone, the sets' digests and the
    /// configuration.
    public func fingerprint(sourceDigest: Digest, targetDigest: Digest) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let settings = (try? encoder.encode(configuration)) ?? Data()
        var text = "facelet-bank-training-v1\n\(backbone.contentDigest)\n"
        text += "\(sourceDigest)\n\(targetDigest)\n"
        text += String(decoding: settings, as: UTF8.self)
        return Digest.sha256(Data(text.utf8)).description
    }

    /// Trains a bank from a source set X and a target set Y (`facelet-registry train`).
    ///
    /// Crops are drawn with seeds derived from `training.seed`. Nothing is written except the
    /// checkpoint (when given); the caller writes `result.data` (see
    /// `BankPackaging.write(_:to:)`), so a failed or interrupted run leaves no package. The
    /// checkpoint is left in place; delete it once the package is written.
    ///
    /// - Throws: `TrainingError`; `invalid-option` for `--method knn`, which cannot be stored
    ///   as a bank.
    public func run(source: PhotoSet, target: PhotoSet, name: String, version: String,
                    description: String = "", checkpoint: URL? = nil,
                    progress: (TrainingProgress) -> Void = { _ in },
                    log: (String) -> Void = { _ in }) throws(TrainingError) -> BankTrainingResult {
        guard configuration.method != .knn else {
            throw TrainingError(.invalidOption, "The knn baseline computes Δv* from both photo "
                + "sets at edit time and cannot be stored as a bank; compare it with the "
                + "benchmark command, or train with --method facelet or global-mean")
        }
        if configuration.pairedCrops { try Self.checkPaired(source: source, target: target) }
        let seeds = configuration.cropSeeds
        let crop = configuration.crop
        let clock = ContinuousClock()
        let started = clock.now
        let prepared = try prepare(
            sourceSample: { source.sample($0, options: crop, seed: seeds.source) },
            targetSample: { target.sample($0, options: crop, seed: seeds.target) },
            withTargets: configuration.method == .facelet, log: log)
        let featureSeconds = Self.seconds(clock.now - started)
        let fingerprint = fingerprint(sourceDigest: source.digest, targetDigest: target.digest)
        return try finish(prepared, sourceDigest: source.digest, targetDigest: target.digest,
                          warnings: source.warnings + target.warnings, name: name,
                          version: version, description: description, fingerprint: fingerprint,
                          checkpoint: checkpoint, featureSeconds: featureSeconds,
                          progress: progress)
    }

    /// Checks that `target` can be paired with `source`: as many photos, the same file names
    /// up to the extension, and the same sizes once reduced to the working size (so a target
    /// saved at another resolution but the same shape pairs too), in the same order.
    ///
    /// - Throws: `TrainingError` `invalid-option` naming the first photo that does not match.
    public static func checkPaired(source: PhotoSet, target: PhotoSet) throws(TrainingError) {
        guard source.count == target.count else {
            throw TrainingError(.invalidOption, "--paired needs as many target photos as "
                + "source photos; got \(source.count) and \(target.count)")
        }
        func stem(_ name: String) -> String {
            (name as NSString).deletingPathExtension
        }
        for (x, y) in zip(source.photos, target.photos) {
            guard stem(x.name) == stem(y.name) else {
                throw TrainingError(.invalidOption, "--paired: source photo \(x.name) has no "
                    + "edited twin in the target folder (found \(y.name) in its place)")
            }
            guard x.image.width == y.image.width, x.image.height == y.image.height else {
                throw TrainingError(.invalidOption, "--paired: source photo \(x.name) is "
                    + "\(x.image.width)×\(x.image.height) at the working size and its target "
                    + "\(y.name) \(y.image.width)×\(y.image.height); a target must have its "
                    + "source's shape")
            }
        }
    }

    /// Trains (or, for global-mean, computes) the bank from prepared sets and packages it.
    public func finish(_ prepared: PreparedSets, sourceDigest: Digest, targetDigest: Digest,
                       warnings: [String], name: String, version: String,
                       description: String = "", fingerprint: String, checkpoint: URL? = nil,
                       featureSeconds: Double = 0,
                       progress: (TrainingProgress) -> Void = { _ in })
        throws(TrainingError) -> BankTrainingResult {
        let clock = ContinuousClock()
        let started = clock.now
        let layout = prepared.source.layout
        let network: BankNetwork
        var report = BankTrainingReport(
            method: configuration.method, k: 0, samples: prepared.source.count, initialLoss: 0,
            finalLoss: 0, epochs: 0, warnings: warnings, featureSeconds: featureSeconds,
            trainingSeconds: 0)
        switch configuration.method {
        case .globalMean:
            network = BankPackaging.globalMeanNetwork(
                levels: layout.levels.map(\.name), channels: layout.levels.map(\.channels),
                meanDifference: prepared.meanDifference(),
                padding: configuration.training.padding)
        case .facelet, .knn:
            guard let targets = prepared.pseudoTargets else {
                preconditionFailure("The facelet method needs the pseudo targets")
            }
            let trained = try BankTrainer.train(
                inputs: prepared.source, targets: targets.targets,
                options: configuration.training, fingerprint: fingerprint,
                checkpoint: checkpoint, progress: progress)
            network = trained.network
            report.k = targets.kTarget
            report.warnings += targets.warnings
            report.initialLoss = trained.initialLoss
            report.finalLoss = trained.finalLoss
            report.epochs = trained.epochs
        }
        report.trainingSeconds = Self.seconds(clock.now - started)
        let encoded = try BankPackaging.encode(
            network, backbone: backbone, name: name, version: version,
            description: description, guide: configuration.guide,
            provenance: provenance(report, sourceDigest: sourceDigest,
                                   targetDigest: targetDigest))
        return BankTrainingResult(data: encoded.data, package: encoded.package,
                                  network: network, report: report)
    }

    private func provenance(_ report: BankTrainingReport, sourceDigest: Digest,
                            targetDigest: Digest) -> [String: String] {
        var out: [String: String] = [
            "method": report.method.rawValue,
            "source_set": sourceDigest.description,
            "target_set": targetDigest.description,
            "samples": String(report.samples),
            "crop_size": String(configuration.crop.size),
            "paired_crops": String(configuration.pairedCrops),
            "seed": String(configuration.training.seed),
        ]
        if report.method == .facelet {
            out["k"] = String(report.k)
            out["neighbour_grid"] = String(configuration.neighbourGrid)
            out["epochs"] = String(report.epochs)
            out["batch_size"] = String(configuration.training.batchSize)
            out["learning_rate"] = String(configuration.training.learningRate)
            out["initial_loss"] = String(report.initialLoss)
            out["final_loss"] = String(report.finalLoss)
        }
        return out
    }

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}
