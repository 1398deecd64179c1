import FaceletImaging
import FaceletPackage
import FaceletTensor
import Foundation

/// Trains a backbone's decoder for its frozen encoder on random photo crops (Eq. 4, Adam).
///
/// Step `s` (0-based) trains on samples `s · batch ..< (s + 1) · batch` of
/// `PhotoSet.sample(_:options:seed:)`, each of which depends only on the seed and its index,
/// so a run is a pure function of (backbone, photos, options) and a run resumed from a
/// checkpoint continues exactly as the uninterrupted run would have (same thread count assumed:
/// OpenBLAS's summation order may depend on it).
///
/// The decoder learns plain reconstruction whatever the output mode: it minimises Eq. 4 for the
/// reconstruction `r` of `TrainableBackbone.reconstruction(decoded:images:)` — `D(ψ(x))` for
/// `image` and `difference` (the edit `x + D(ψ + λΔv) − D(ψ)` then carries only the change),
/// `D(ψ(x)) + x` for `add-input` (so D learns to output the residual). An `affine-difference`
/// decoder's reconstruction is its colour transform of x, which the identity meets: it learns
/// from the paired-edit term, and Eq. 4's terms only pull it towards the identity.
public struct DecoderTrainer: Sendable {
    /// The backbone whose decoder is trained (its starting weights).
    public let backbone: TrainableBackbone
    /// The training photos.
    public let photos: PhotoSet
    /// Photos never trained on, for the held-out PSNR; `nil` to skip it.
    public let heldOut: PhotoSet?
    /// The run's settings.
    public let options: DecoderTrainingOptions
    let deepestStride: Int
    let encoderDigest: Digest

    /// Prepares a run.
    ///
    /// - Throws: `TrainingError` `.invalidOption` when the options do not fit the backbone.
    public init(backbone: TrainableBackbone, photos: PhotoSet, heldOut: PhotoSet? = nil,
                options: DecoderTrainingOptions) throws(TrainingError) {
        let stride = backbone.architecture.levels.map(\.stride).max() ?? 1
        try options.validate(deepestStride: stride)
        if backbone.architecture.output == .affineDifference, options.editPairWeight <= 0 {
            // Eq. 4 alone is met by the identity transform (A = 0, b = 0): nothing to learn.
            throw TrainingError(.invalidOption,
                                "an affine-difference decoder learns from paired edits only; "
                                    + "set --edit-pairs above 0")
        }
        self.backbone = backbone
        self.photos = photos
        self.heldOut = heldOut
        self.options = options
        self.deepestStride = stride
        self.encoderDigest = Self.digest(backbone.encoderTensors)
    }

    /// Runs the training, from the checkpoint if `checkpoint` names an existing file of this
    /// run, and writes the checkpoint there every `checkpointInterval` steps and at the end.
    ///
    /// - Parameters:
    ///   - checkpoint: the checkpoint file, or `nil` for none.
    ///   - stopAfter: stop (after checkpointing) once this step is reached, as an interruption
    ///     would; `nil` runs to `options.steps`.
    ///   - progress: called after every step.
    /// - Returns: the trained backbone, the final loss, the held-out PSNR and the provenance.
    /// - Throws: `TrainingError` `.nonFiniteLoss` when the loss becomes NaN or infinite (try a
    ///   smaller learning rate), `.badCheckpoint`, `.io`.
    public func run(checkpoint: URL? = nil, stopAfter: Int? = nil,
                    progress: (DecoderTrainingProgress) -> Void = { _ in })
        throws(TrainingError) -> DecoderTrainingResult {
        var network = backbone
        var optimizer = Adam(parameterCounts: network.decoderParameters.map(\.count),
                             learningRate: options.learningRate)
        var step = 0
        var lastLoss: DecoderLoss?
        if let checkpoint, let saved = try DecoderCheckpoint.read(from: checkpoint) {
            try saved.restore(into: &network, options: options,
                              photoSetDigest: photos.digest.hex,
                              encoderDigest: encoderDigest.hex, path: checkpoint.path)
            optimizer = saved.optimizer
            step = saved.step
            lastLoss = saved.lastLoss
        }

        let heldOutImages = heldOutBatch()
        let last = min(options.steps, stopAfter ?? options.steps)
        let started = Date()
        let firstStep = step
        var evaluated: (step: Int, psnr: Double)?
        while step < last {
            let (loss, gradients, psnr) = trainingStep(network, step: step)
            guard loss.total.isFinite else {
                throw TrainingError(.nonFiniteLoss, "the loss became \(loss.total) at step "
                                        + "\(step + 1); lower the learning rate "
                                        + "(\(options.learningRate)) or ω")
            }
            var values = network.decoderParameters.map(\.data)
            optimizer.learningRate = learningRate(step: step)
            optimizer.update(&values, gradients: gradients.map(\.data))
            guard values.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
                throw TrainingError(.nonFiniteLoss, "the decoder's parameters became NaN or "
                                        + "infinite at step \(step + 1); lower the learning "
                                        + "rate (\(options.learningRate))")
            }
            for index in values.indices { network.decoderParameters[index].data = values[index] }
            step += 1
            lastLoss = loss

            var heldOutPSNR: Double?
            if let heldOutImages, options.evaluationInterval > 0,
               step % options.evaluationInterval == 0 || step == options.steps {
                heldOutPSNR = network.reconstructionPSNR(heldOutImages,
                                                         batchSize: options.batchSize)
                evaluated = heldOutPSNR.map { (step, $0) }
            }
            let elapsed = Date().timeIntervalSince(started)
            let perStep = elapsed / Double(step - firstStep)
            progress(DecoderTrainingProgress(
                step: step, totalSteps: options.steps, loss: loss, psnr: psnr,
                heldOutPSNR: heldOutPSNR, elapsedSeconds: elapsed,
                remainingSeconds: perStep * Double(options.steps - step)))
            if let checkpoint, step % options.checkpointInterval == 0 || step == last {
                try saveCheckpoint(network, optimizer: optimizer, step: step, loss: loss,
                                   to: checkpoint)
            }
        }

        let finalLoss = lastLoss ?? DecoderLoss(total: 0, pixel: 0, features: [])
        let heldOutPSNR = evaluated?.step == step ? evaluated?.psnr : heldOutImages.map {
            network.reconstructionPSNR($0, batchSize: options.batchSize)
        }
        return DecoderTrainingResult(
            backbone: network, steps: step, finalLoss: finalLoss, heldOutPSNR: heldOutPSNR,
            provenance: provenance(steps: step, loss: finalLoss, heldOutPSNR: heldOutPSNR))
    }

    // MARK: - One step

    /// The loss and gradients of step `step` (0-based) for the current parameters, with the
    /// batch PSNR before the update.
    func trainingStep(_ network: TrainableBackbone, step: Int)
        -> (loss: DecoderLoss, gradients: [Tensor], psnr: Double) {
        let x = network.normalize(batch(step: step))
        let psi = network.encode(x)
        var loss = DecoderLoss(total: 0, pixel: 0,
                               features: [Float](repeating: 0, count: psi.count))
        var gradients = network.decoderParameters.map { Tensor(zeros: $0.shape) }
        var psnr: Double?
        if options.pixelWeight > 0 || options.featureWeight > 0 {
            let reconstruction: Tensor
            (loss, gradients, reconstruction) = network.objective(
                images: x, decodeFrom: psi, featureTargets: psi,
                pixelWeight: options.pixelWeight, featureWeight: options.featureWeight)
            psnr = network.psnr(reconstruction: reconstruction, original: x)
        }
        // Otherwise only the paired-edit term trains (`validate` guarantees μ > 0, and the
        // shifted-feature term needs ω > 0): its plain decode of ψ(x) gives the batch PSNR.

        if step < options.shiftedSteps {
            var random = TrainingRandom(seed: options.seed ^ 0x5348_4946_5445_4421
                                        ^ (UInt64(step) &* 0x9E37_79B9_7F4A_7C15))
            let strength = options.shiftStrength * random.nextUnitFloat()
            let shifted = psi.map { level in
                let direction = Ops.addScaled(Self.rotatedBatch(level), level, scale: -1)
                return Ops.addScaled(level, direction, scale: strength)
            }
            let extra = network.objective(images: x, decodeFrom: shifted,
                                          featureTargets: shifted, pixelWeight: 0,
                                          featureWeight: options.featureWeight)
            for index in gradients.indices {
                gradients[index] = Ops.add(gradients[index], extra.gradients[index])
            }
            loss.total += extra.loss.total
        }
        if options.editPairWeight > 0 {
            let pair = editPairTerm(network, images: x, features: psi, step: step)
            for index in gradients.indices {
                gradients[index] = Ops.add(gradients[index], pair.gradients[index])
            }
            loss.total += pair.loss
            if psnr == nil {
                psnr = network.psnr(
                    reconstruction: network.reconstruction(decoded: pair.decoded, images: x),
                    original: x)
            }
        }
        return (loss, gradients, psnr ?? 0)
    }

    /// The paired-edit term of `DecoderTrainingOptions.editPairWeight` for the normalised
    /// batch `images` with features `features`: its weighted loss, its decoder gradients and
    /// the decoder's plain output D(ψ(x)) it computed on the way.
    func editPairTerm(_ network: TrainableBackbone, images: Tensor, features: [Tensor],
                      step: Int) -> (loss: Float, gradients: [Tensor], decoded: Tensor) {
        let editedImages = editedBatch(network, images: images, step: step)
        let before = network.decodeForBackward(features)
        let after = network.decodeForBackward(network.encode(editedImages))

        let decodedChange = network.editChange(after: after.output, before: before.output,
                                               images: images)
        let pixelChange = Ops.addScaled(editedImages, images, scale: -1)
        let (loss, gradient) = Gradients.meanSquaredError(decodedChange, pixelChange)
        // The change is linear in after − before, so both share one output gradient, ±.
        let weighted = network.decodedGradient(
            Ops.addScaled(Tensor(zeros: gradient.shape), gradient, scale: options.editPairWeight),
            images: images)
        let afterGradients = network.decoderParameterGradients(after, outputGradient: weighted)
        let beforeGradients = network.decoderParameterGradients(before, outputGradient: weighted)
        let gradients = zip(afterGradients, beforeGradients).map { after, before in
            Ops.addScaled(after, before, scale: -1)
        }
        return (options.editPairWeight * loss, gradients, before.output)
    }

    /// The normalised batch `images` with each photo edited by its own random photo edit of
    /// step `step` (`PhotoTransform.random`, seeded by the run's seed and the step).
    func editedBatch(_ network: TrainableBackbone, images: Tensor, step: Int) -> Tensor {
        var random = TrainingRandom(seed: options.seed ^ 0x4544_4954_5041_4952
                                    ^ (UInt64(step) &* 0x9E37_79B9_7F4A_7C15))
        let raw = network.denormalize(images)
        let size = raw.h * raw.w
        var edited = raw
        for n in 0..<raw.n {
            let edit = PhotoTransform.random(using: &random)
            let range = n * 3 * size ..< (n + 1) * 3 * size
            let photo = RGBImage(width: raw.w, height: raw.h, pixels: Array(raw.data[range]))
            edited.data.replaceSubrange(range, with: edit.apply(photo).image.pixels)
        }
        return network.normalize(edited)
    }

    /// Adam's step size at step `step` (0-based): exponential decay from `learningRate` to
    /// `learningRate · finalLearningRateFraction` at the last step.
    func learningRate(step: Int) -> Float {
        guard options.finalLearningRateFraction != 1, options.steps > 1 else {
            return options.learningRate
        }
        let progress = Double(step) / Double(options.steps - 1)
        return options.learningRate
            * Float(pow(Double(options.finalLearningRateFraction), progress))
    }

    /// The crops of step `step` as RGB `[batch, 3, size, size]` in [0, 1].
    func batch(step: Int) -> Tensor {
        let size = options.crop.size
        var data = [Float]()
        data.reserveCapacity(options.batchSize * 3 * size * size)
        for i in 0..<options.batchSize {
            let sample = photos.sample(step * options.batchSize + i, options: options.crop,
                                       seed: options.seed)
            data.append(contentsOf: sample.pixels)
        }
        return Tensor(shape: [options.batchSize, 3, size, size], data: data)
    }

    /// The fixed held-out crops (same crop options without mirroring, their own seed).
    func heldOutBatch() -> Tensor? {
        guard let heldOut, options.heldOutCrops > 0 else { return nil }
        var crop = options.crop
        crop.flip = false
        let size = crop.size
        var data = [Float]()
        for i in 0..<options.heldOutCrops {
            data += heldOut.sample(i, options: crop, seed: options.seed ^ 0x4845_4C44).pixels
        }
        return Tensor(shape: [options.heldOutCrops, 3, size, size], data: data)
    }

    /// The batch with image n replaced by image n + 1 (cyclically).
    static func rotatedBatch(_ x: Tensor) -> Tensor {
        let block = x.count / max(1, x.n)
        var data = Array(x.data[block...])
        data += x.data[..<block]
        return Tensor(shape: x.shape, data: data)
    }

    // MARK: - Records

    private func saveCheckpoint(_ network: TrainableBackbone, optimizer: Adam, step: Int,
                                loss: DecoderLoss, to url: URL) throws(TrainingError) {
        let header = DecoderCheckpoint.Header(
            format: 1, step: step, options: options, photoSetDigest: photos.digest.hex,
            encoderDigest: encoderDigest.hex, architecture: network.architecture,
            parameterNames: network.decoderParameterNames,
            parameterShapes: network.decoderParameters.map(\.shape),
            adamStep: optimizer.step, adamLearningRate: optimizer.learningRate,
            adamBeta1: optimizer.beta1, adamBeta2: optimizer.beta2,
            adamEpsilon: optimizer.epsilon, lastLoss: loss)
        let checkpoint = DecoderCheckpoint(header: header, parameters: network.decoderParameters,
                                           optimizer: optimizer)
        try checkpoint.write(to: url)
    }

    private func provenance(steps: Int, loss: DecoderLoss, heldOutPSNR: Double?)
        -> [String: String] {
        var record: [String: String] = [
            "method": "decoder-eq4",
            "photos": photos.digest.description,
            "photo_count": String(photos.count),
            "steps": String(steps),
            "batch": String(options.batchSize),
            "crop": String(options.crop.size),
            "omega": String(options.featureWeight),
            "pixel_weight": String(options.pixelWeight),
            "learning_rate": String(options.learningRate),
            "final_learning_rate_fraction": String(options.finalLearningRateFraction),
            "seed": String(options.seed),
            "shifted_steps": String(options.shiftedSteps),
            "edit_pair_weight": String(options.editPairWeight),
            "final_loss": String(loss.total),
            "encoder": encoderDigest.description,
        ]
        if let heldOut {
            record["held_out_photos"] = heldOut.digest.description
        }
        if let heldOutPSNR {
            record["held_out_psnr_db"] = String(format: "%.2f", heldOutPSNR)
        }
        return record
    }

    /// SHA-256 over the tensors' names, shapes and float32 little-endian bytes, by name.
    static func digest(_ tensors: [String: Tensor]) -> Digest {
        var data = Data()
        for name in tensors.keys.sorted() {
            guard let tensor = tensors[name] else { continue }
            data.append(contentsOf: Array("\(name) \(tensor.shape)\n".utf8))
            data.append(DecoderCheckpoint.encode(tensor.data))
        }
        return Digest.sha256(data)
    }
}
