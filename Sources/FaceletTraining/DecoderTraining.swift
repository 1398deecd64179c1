import FaceletPackage
import FaceletTensor
import Foundation

/// The settings of a decoder training run (Eq. 4 on random photo crops, Adam).
public struct DecoderTrainingOptions: Sendable, Equatable, Codable {
    /// The number of optimisation steps.
    public var steps: Int
    /// Crops per step.
    public var batchSize: Int
    /// How crops are cut; `crop.size` must be a multiple of the deepest level's stride (16 for
    /// VGG-19 through relu5_1).
    public var crop: CropOptions
    /// Adam's step size at the first step.
    public var learningRate: Float
    /// The step size at the last step as a fraction of `learningRate`; in between it decays
    /// exponentially, `learningRate · finalLearningRateFraction^(s / steps)` at step s
    /// (1 keeps it constant).
    public var finalLearningRateFraction: Float
    /// The weight of Eq. 4's pixel loss (1; 0 drops it, for a `difference` decoder that is
    /// only fine-tuned on the paired-edit term, since such a decoder is only ever used through
    /// differences of two decodes).
    public var pixelWeight: Float
    /// ω of Eq. 4, the weight of the feature loss (0 trains on the pixel loss alone).
    public var featureWeight: Float
    /// The seed of the crops (and of the shifted-feature pairs); equal seeds give equal runs.
    public var seed: UInt64
    /// How many of the first steps add the shifted-feature term (0 turns it off).
    ///
    /// On such a step the batch's features are also shifted, `ψ' = ψ(x) + λΔv` with
    /// `Δv = ψ(x') − ψ(x)` for x' the next crop of the batch and λ uniform in
    /// `[0, shiftStrength]` per step, and the loss adds `ω Σ_l ‖E_l(D(ψ')) − ψ'_l‖²`: there is
    /// no photo whose pixels ψ' describes, so the only principled target is feature
    /// consistency — the decoded image should have the shifted features. With λ ≤ 1, ψ' stays
    /// between two real photos' features (non-negative, as after a ReLU).
    public var shiftedSteps: Int
    /// The largest λ of the shifted-feature term.
    public var shiftStrength: Float
    /// μ, the weight of the paired-edit term (0 turns it off).
    ///
    /// Each step also edits the batch with a random photo edit e (a random colour grade, and
    /// half the time a random soft-edged local patch; see `PhotoTransform.random`) and adds
    /// `μ ‖(D(ψ(e(x))) − D(ψ(x))) − (e(x) − x)‖²` (normalised space, mean over elements):
    /// the shift of the features between two real photos must decode to the pixel change
    /// between them. That is what the `difference` output mode relies on, since an edit there
    /// is `x + D(ψ + λΔv) − D(ψ)`; reconstruction alone does not teach it.
    public var editPairWeight: Float
    /// The number of fixed held-out crops the held-out PSNR is measured on.
    public var heldOutCrops: Int
    /// Steps between held-out evaluations reported through progress (0: only at the end).
    public var evaluationInterval: Int
    /// Steps between checkpoints when a checkpoint file is given (the last step is always
    /// checkpointed).
    public var checkpointInterval: Int

    /// Makes options; the defaults suit a quarter-width VGG-19 on 64-pixel crops.
    public init(steps: Int = 2000, batchSize: Int = 8,
                crop: CropOptions = CropOptions(size: 64, minScale: 0.3, maxScale: 1.0),
                learningRate: Float = 1e-3, finalLearningRateFraction: Float = 1,
                featureWeight: Float = 0.1, seed: UInt64 = 1,
                shiftedSteps: Int = 0, shiftStrength: Float = 1, editPairWeight: Float = 0,
                heldOutCrops: Int = 16,
                evaluationInterval: Int = 0, checkpointInterval: Int = 100,
                pixelWeight: Float = 1) {
        self.steps = steps
        self.batchSize = batchSize
        self.crop = crop
        self.learningRate = learningRate
        self.finalLearningRateFraction = finalLearningRateFraction
        self.featureWeight = featureWeight
        self.pixelWeight = pixelWeight
        self.seed = seed
        self.shiftedSteps = shiftedSteps
        self.shiftStrength = shiftStrength
        self.editPairWeight = editPairWeight
        self.heldOutCrops = heldOutCrops
        self.evaluationInterval = evaluationInterval
        self.checkpointInterval = checkpointInterval
    }

    private enum CodingKeys: String, CodingKey {
        case steps, batchSize, crop, learningRate, finalLearningRateFraction, featureWeight, seed
        case shiftedSteps, shiftStrength, editPairWeight, heldOutCrops, evaluationInterval
        case checkpointInterval, pixelWeight
    }

    /// Decodes options; `editPairWeight` and `pixelWeight` may be absent (checkpoints written
    /// before they existed trained without the paired-edit term and with a pixel weight of 1).
    public init(from decoder: Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            steps: try values.decode(Int.self, forKey: .steps),
            batchSize: try values.decode(Int.self, forKey: .batchSize),
            crop: try values.decode(CropOptions.self, forKey: .crop),
            learningRate: try values.decode(Float.self, forKey: .learningRate),
            finalLearningRateFraction: try values.decode(Float.self,
                                                         forKey: .finalLearningRateFraction),
            featureWeight: try values.decode(Float.self, forKey: .featureWeight),
            seed: try values.decode(UInt64.self, forKey: .seed),
            shiftedSteps: try values.decode(Int.self, forKey: .shiftedSteps),
            shiftStrength: try values.decode(Float.self, forKey: .shiftStrength),
            editPairWeight: try values.decodeIfPresent(Float.self, forKey: .editPairWeight) ?? 0,
            heldOutCrops: try values.decode(Int.self, forKey: .heldOutCrops),
            evaluationInterval: try values.decode(Int.self, forKey: .evaluationInterval),
            checkpointInterval: try values.decode(Int.self, forKey: .checkpointInterval),
            pixelWeight: try values.decodeIfPresent(Float.self, forKey: .pixelWeight) ?? 1)
    }

    /// Checks the options against a backbone whose deepest level has stride `stride`.
    ///
    /// - Throws: `TrainingError` `.invalidOption` naming the first bad option.
    func validate(deepestStride stride: Int) throws(TrainingError) {
        func fail(_ message: String) -> TrainingError { TrainingError(.invalidOption, message) }
        guard steps >= 1 else { throw fail("steps must be at least 1, got \(steps)") }
        guard batchSize >= 1 else { throw fail("batch size must be at least 1, got \(batchSize)") }
        guard crop.size >= stride, crop.size % stride == 0 else {
            throw fail("the crop size must be a positive multiple of \(stride) (the deepest "
                        + "level's stride), got \(crop.size)")
        }
        guard learningRate.isFinite, learningRate > 0 else {
            throw fail("the learning rate must be positive, got \(learningRate)")
        }
        guard finalLearningRateFraction.isFinite, finalLearningRateFraction > 0,
              finalLearningRateFraction <= 1 else {
            throw fail("the final learning rate fraction must be in (0, 1], got "
                        + "\(finalLearningRateFraction)")
        }
        guard featureWeight.isFinite, featureWeight >= 0 else {
            throw fail("ω (the feature weight) must be >= 0, got \(featureWeight)")
        }
        guard pixelWeight.isFinite, pixelWeight >= 0 else {
            throw fail("the pixel weight must be >= 0, got \(pixelWeight)")
        }
        guard pixelWeight > 0 || featureWeight > 0 || editPairWeight > 0 else {
            throw fail("the pixel weight, ω and the paired-edit weight are all 0: nothing "
                        + "to train")
        }
        guard shiftedSteps >= 0, shiftStrength.isFinite, shiftStrength >= 0 else {
            throw fail("shifted steps and shift strength must be >= 0")
        }
        guard shiftedSteps <= steps else {
            throw fail("the shifted-feature steps (\(shiftedSteps)) exceed the run's steps "
                        + "(\(steps))")
        }
        guard shiftedSteps == 0 || (batchSize >= 2 && featureWeight > 0) else {
            throw fail("the shifted-feature term needs a batch of at least 2 and ω > 0")
        }
        guard heldOutCrops >= 0, evaluationInterval >= 0, checkpointInterval >= 1 else {
            throw fail("held-out crops and evaluation interval must be >= 0, the checkpoint "
                        + "interval >= 1")
        }
    }
}

/// One step's report from `DecoderTrainer.run`.
public struct DecoderTrainingProgress: Sendable {
    /// The step just taken, 1-based.
    public var step: Int
    /// The run's total steps.
    public var totalSteps: Int
    /// The step's loss (Eq. 4 on the batch, plus the shifted term on shifted steps).
    public var loss: DecoderLoss
    /// The PSNR (dB) of the batch's reconstructions before the update, on RGB clamped to
    /// [0, 1].
    public var psnr: Double
    /// The held-out PSNR (dB), on steps where it was evaluated.
    public var heldOutPSNR: Double?
    /// Seconds since this run (or resume) started.
    public var elapsedSeconds: Double
    /// Estimated seconds to the last step, from this run's mean step time.
    public var remainingSeconds: Double
}

/// What a finished decoder training run produced.
public struct DecoderTrainingResult: Sendable {
    /// The backbone with its trained decoder.
    public var backbone: TrainableBackbone
    /// The steps taken in total (including any before a resume).
    public var steps: Int
    /// The last step's loss.
    public var finalLoss: DecoderLoss
    /// The PSNR (dB) on the held-out crops, when a held-out set was given.
    public var heldOutPSNR: Double?
    /// How the decoder was made: `method`, `photos` (the set's digest), `held_out_photos`,
    /// `steps`, `batch`, `crop`, `omega`, `learning_rate`, `seed`, `shifted_steps`,
    /// `final_loss`, `held_out_psnr_db`, `encoder`.
    public var provenance: [String: String]

    /// The trained backbone as a package whose manifest carries `provenance`.
    ///
    /// - Throws: `TrainingError` `.io` when the package writer refuses the content.
    public func package(name: String, version: String, description: String = "")
        throws(TrainingError) -> (data: Data, package: Package) {
        try backbone.package(name: name, version: version, description: description,
                             provenance: provenance)
    }
}

extension TrainableBackbone {
    /// The PSNR (dB) of normalised reconstructions against normalised originals, measured on
    /// RGB in [0, 1] after clamping the reconstruction (peak 1).
    public func psnr(reconstruction: Tensor, original: Tensor) -> Double {
        let r = denormalize(reconstruction)
        let x = denormalize(original)
        var sum = 0.0
        for i in r.data.indices {
            let difference = Double(min(1, max(0, r.data[i]))) - Double(x.data[i])
            sum += difference * difference
        }
        let mse = sum / Double(max(1, r.count))
        return mse > 0 ? 10 * log10(1 / mse) : 99
    }

    /// The mean PSNR (dB) of the reconstructions of RGB images `[N, 3, H, W]` in [0, 1]
    /// (whose sides are multiples of the deepest stride), in groups of `batchSize`.
    public func reconstructionPSNR(_ images: Tensor, batchSize: Int = 8) -> Double {
        precondition(images.rank == 4 && images.n >= 1, "expected a batch of RGB images")
        let plane = 3 * images.h * images.w
        var total = 0.0
        for start in stride(from: 0, to: images.n, by: max(1, batchSize)) {
            let count = min(max(1, batchSize), images.n - start)
            let slice = Array(images.data[(start * plane)..<((start + count) * plane)])
            let x = normalize(Tensor(shape: [count, 3, images.h, images.w], data: slice))
            let r = reconstruction(decoded: decode(encode(x)), images: x)
            for n in 0..<count {
                let one = { (t: Tensor) in
                    Tensor(shape: [1, 3, t.h, t.w],
                           data: Array(t.data[(n * plane)..<((n + 1) * plane)]))
                }
                total += psnr(reconstruction: one(r), original: one(x))
            }
        }
        return total / Double(images.n)
    }
}
