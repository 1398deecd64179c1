import FaceletModel
import FaceletPackage
import FaceletTraining
import Foundation

extension FaceletCommandLine {
    /// The commands that learn packages from photos.
    static let trainingCommands: [Command] = [
        Command(spec: CommandSpec(
            "train", summary: "learn a facelet bank from two photo folders (X without, Y with)",
            positionals: [PositionalSpec("NAME", help: "the bank's name (the effect)")],
            options: [
                OptionSpec("backbone", value: "REF",
                           help: "the backbone: a store reference or a package file"),
                OptionSpec("source", value: "DIR", help: "photos without the effect (set X)"),
                OptionSpec("target", value: "DIR", help: "photos with the effect (set Y)"),
                OptionSpec("method", value: "M", help: "facelet (default) or global-mean"),
                OptionSpec("k", value: "K", help: "K nearest target samples of Eq. 6 (100)"),
                OptionSpec("neighbour-grid", value: "G",
                           help: "find Eq. 6's neighbours on features pooled to G x G cells "
                               + "per level (1 = spatial means, the default)"),
                OptionSpec("samples", value: "N", help: "training crops per set (256)"),
                OptionSpec("crop", value: "PX",
                           help: "side of the square training crops (64, at most 256)"),
                OptionSpec("paired", help: "the target folder holds the source photos after the "
                               + "effect (same names and sizes): cut Y's crops where X's are"),
                Training.skipUnreadableOption,
                OptionSpec("epochs", value: "E", help: "Adam epochs (30)"),
                OptionSpec("guide-radius", value: "PX",
                           help: "render the effect with a guided change: fit it to the "
                               + "photo's colours in windows of this radius (off)"),
                OptionSpec("guide-epsilon", value: "E",
                           help: "the guided change's ridge term (0.001; with --guide-radius)"),
                OptionSpec("seed", value: "S", help: "random seed for crops and weights (1)"),
                OptionSpec("levels", value: "LIST", help: "levels to act on (default all)"),
                OptionSpec("checkpoint", value: "FILE",
                           help: "save progress after every epoch; a rerun resumes from it "
                               + "(removed once the bank is written)"),
                OptionSpec("version", value: "V", help: "package version (default 1)"),
                OptionSpec("description", value: "TEXT", help: "the package's description"),
                OptionSpec("output", short: "o", value: "FILE", help: "the bank file to write"),
            ],
            discussion: """
                Extracts ψ of random crops of both sets, computes the pseudo targets Δv* of \
                Eq. 6 and fits the bank's convolutions to them with Adam (Eq. 7); global-mean \
                uses Eq. 5 instead. The package's provenance records the method, K, the sets' \
                digests and the losses. Nothing is written unless training succeeds.
                """),
                run: train),
        Command(spec: CommandSpec(
            "train-decoder", summary: "train a backbone's decoder for its frozen encoder (Eq. 4)",
            options: [
                OptionSpec("backbone", value: "REF",
                           help: "the backbone: a store reference or a package file"),
                OptionSpec("photos", value: "DIR", help: "the training photos"),
                OptionSpec("steps", value: "N", help: "Adam steps (2000)"),
                OptionSpec("batch", value: "B", help: "crops per step (8)"),
                OptionSpec("seed", value: "S", help: "random seed (1)"),
                OptionSpec("held-out", value: "N",
                           help: "photos kept out of training for the held-out PSNR (0)"),
                OptionSpec("learning-rate", value: "R", help: "Adam's step size (0.001)"),
                OptionSpec("final-lr", value: "F",
                           help: "last step's learning rate as a fraction of the first (1)"),
                OptionSpec("edit-pairs", value: "MU",
                           help: "weight of the paired-edit term that teaches the decoder how "
                               + "feature shifts look in pixels (0 = off)"),
                OptionSpec("omega", value: "W",
                           help: "ω, the weight of Eq. 4's feature loss (0.1; 0 skips it)"),
                OptionSpec("pixel-weight", value: "W",
                           help: "the weight of Eq. 4's pixel loss (1; 0 with --edit-pairs "
                               + "and --omega 0 fine-tunes a difference decoder on edits "
                               + "alone)"),
                OptionSpec("shifted-steps", value: "N",
                           help: "pre-train on shifted features ψ(x) + λ(ψ(x') − ψ(x)) for the "
                               + "first N steps, with feature consistency as the target (0)"),
                OptionSpec("fresh", help: "start from a seeded random decoder, not the stored one"),
                OptionSpec("output-mode", value: "MODE",
                           help: "affine-difference: first turn a difference decoder into one "
                               + "whose output is a per-pixel colour transform, starting from "
                               + "the same edits (needs --edit-pairs)"),
                OptionSpec("checkpoint", value: "FILE",
                           help: "resume from / save progress to this file (removed once the "
                               + "backbone is written)"),
                Training.skipUnreadableOption,
                OptionSpec("name", value: "NAME", help: "package name (default: the backbone's)"),
                OptionSpec("version", value: "V",
                           help: "package version (default: the backbone's version + 1 under its "
                               + "name, 1 under a new --name)"),
                OptionSpec("output", short: "o", value: "FILE", help: "the backbone file to write"),
            ],
            discussion: """
                Keeps the encoder's weights and trains the decoder on random crops of the \
                photos to reconstruct them (pixel loss plus feature loss, Adam). The written \
                backbone has a new content digest, so banks must be trained for it anew.
                """),
                run: trainDecoder),
    ]

    @Sendable static func train(_ context: CommandContext) throws {
        let arguments = context.arguments
        guard let output = arguments.value("output") else {
            throw CLIError.usage("train needs -o FILE")
        }
        guard let backboneText = arguments.value("backbone"),
              let sourceText = arguments.value("source"),
              let targetText = arguments.value("target") else {
            throw CLIError.usage("train needs --backbone REF, --source DIR and --target DIR")
        }
        var configuration = BankTrainingConfiguration()
        if let text = arguments.value("method") {
            guard let method = BankMethod(rawValue: text), method != .knn else {
                throw CLIError.usage("--method must be facelet or global-mean, got '\(text)'")
            }
            configuration.method = method
        }
        try Training.readBankOptions(arguments, into: &configuration)
        let path = context.path(output)
        try context.requireFolder(of: path)
        let name = context.positional(0)
        try Naming.validateName(name)

        let progress = Progress(io: context.io, label: "train")
        defer { progress.finish() }
        let backbone = try Backbone(package: Generate.backbonePackage(backboneText,
                                                                      context: context))
        try Training.readLevels(arguments, backbone: backbone, into: &configuration)
        try configuration.validate()
        progress.step("reading photos")
        let source = try Training.loadPhotos(sourceText, arguments, context: context)
        let target = try Training.loadPhotos(targetText, arguments, context: context)
        let job = BankTrainingJob(backbone: backbone, configuration: configuration)
        let checkpoint = arguments.value("checkpoint").map {
            URL(fileURLWithPath: context.path($0))
        }
        if let checkpoint { try context.requireFolder(of: checkpoint.path) }
        let result = try job.run(
            source: source, target: target, name: name,
            version: arguments.value("version") ?? "1",
            description: arguments.value("description") ?? "", checkpoint: checkpoint,
            progress: { step in
                progress.update(step.epoch, of: step.epochs,
                                detail: "epochs, loss \(Format.number(Double(step.loss))), "
                                    + "\(Format.duration(step.remaining)) left")
            },
            log: { progress.step($0) })
        try context.writeAtomically(result.data, to: path)
        // --json carries them in `warnings`; a terminal or a log should see them too.
        result.report.warnings.forEach { context.note($0) }
        if let checkpoint {
            // The bank is safely on disk: the checkpoint has served its purpose.
            try? FileManager.default.removeItem(at: checkpoint)
        }

        let report = result.report
        let manifest = result.package.manifest
        context.emit([
            "path": .string(path), "name": .string(manifest.name),
            "version": .string(manifest.version),
            "digest": .string(result.package.contentDigest.description),
            "bytes": .integer(result.data.count), "method": .string(report.method.rawValue),
            "k": .integer(report.k), "samples": .integer(report.samples),
            "epochs": .integer(report.epochs),
            "initial_loss": .number(Double(report.initialLoss)),
            "final_loss": .number(Double(report.finalLoss)),
            "warnings": .strings(report.warnings),
        ]) {
            ["wrote \(path)  \(manifest.name):\(manifest.version)  "
                + "\(result.package.contentDigest)  \(report.method.rawValue), K \(report.k), "
                + "\(report.samples) crops, \(report.epochs) epochs, loss "
                + "\(Format.number(Double(report.initialLoss))) -> "
                + "\(Format.number(Double(report.finalLoss)))"]
        }
    }
}

extension FaceletCommandLine {
    @Sendable static func trainDecoder(_ context: CommandContext) throws {
        let arguments = context.arguments
        guard let output = arguments.value("output") else {
            throw CLIError.usage("train-decoder needs -o FILE")
        }
        guard let backboneText = arguments.value("backbone"),
              let photosText = arguments.value("photos") else {
            throw CLIError.usage("train-decoder needs --backbone REF and --photos DIR")
        }
        var options = DecoderTrainingOptions()
        options.steps = try Training.count(arguments.value("steps"), "--steps") ?? options.steps
        options.batchSize = try Training.count(arguments.value("batch"), "--batch")
            ?? options.batchSize
        options.seed = try Generate.seed(arguments.value("seed"))
        options.learningRate = try Training.fraction(arguments.value("learning-rate"),
                                                     "--learning-rate") ?? options.learningRate
        options.finalLearningRateFraction = try Training.fraction(
            arguments.value("final-lr"), "--final-lr") ?? options.finalLearningRateFraction
        options.editPairWeight = try Training.fraction(arguments.value("edit-pairs"),
                                                       "--edit-pairs") ?? options.editPairWeight
        options.featureWeight = try Training.fraction(arguments.value("omega"), "--omega")
            ?? options.featureWeight
        options.pixelWeight = try Training.fraction(arguments.value("pixel-weight"),
                                                    "--pixel-weight") ?? options.pixelWeight
        options.shiftedSteps = try Training.count(arguments.value("shifted-steps"),
                                                  "--shifted-steps", allowingZero: true)
            ?? options.shiftedSteps
        let heldOutCount = try Training.count(arguments.value("held-out"), "--held-out") ?? 0
        if arguments.value("output-mode") == OutputMode.affineDifference.rawValue,
           options.editPairWeight <= 0 {
            throw CLIError.usage("--output-mode affine-difference learns from paired edits "
                                 + "only: give --edit-pairs above 0")
        }
        let path = context.path(output)
        try context.requireFolder(of: path)
        if let checkpoint = arguments.value("checkpoint") {
            try context.requireFolder(of: context.path(checkpoint))
        }

        let progress = Progress(io: context.io, label: "train-decoder")
        defer { progress.finish() }
        let source = try Generate.backbonePackage(backboneText, context: context)
        let name = arguments.value("name") ?? source.manifest.name
        let version = try arguments.value("version")
            ?? Training.nextVersion(after: source.manifest, name: name)
        try Naming.validateName(name)
        try Naming.validateVersion(version)
        var backbone = arguments.flag("fresh")
            ? try TrainableBackbone.freshDecoder(encoderFrom: source, seed: options.seed)
            : try TrainableBackbone(package: source)
        switch arguments.value("output-mode") {
        case nil:
            break
        case OutputMode.affineDifference.rawValue?:
            if backbone.architecture.output != .affineDifference {
                backbone = try backbone.convertedToAffineDifference()
            }
        case let other?:
            throw CLIError.usage("--output-mode must be affine-difference, got '\(other)'")
        }
        progress.step("reading photos")
        let all = try Training.loadPhotos(photosText, arguments, context: context)
        var photos = all
        var heldOut: PhotoSet?
        if heldOutCount > 0 {
            guard heldOutCount < all.count else {
                throw CLIError.usage("--held-out \(heldOutCount) leaves no training photo "
                    + "(the folder has \(all.count))")
            }
            (photos, heldOut) = all.split(heldOut: heldOutCount)
        }
        let trainer = try DecoderTrainer(backbone: backbone, photos: photos, heldOut: heldOut,
                                         options: options)
        let checkpoint = arguments.value("checkpoint").map {
            URL(fileURLWithPath: context.path($0))
        }
        var result = try trainer.run(checkpoint: checkpoint) { step in
            progress.update(step.step, of: step.totalSteps,
                            detail: "steps, loss \(Format.number(Double(step.loss.total))), "
                                + "\(Format.duration(step.remainingSeconds)) left")
        }
        if !arguments.flag("fresh") {
            // A decoder fine-tuned in several runs keeps its lineage: each run names the
            // backbone it started from.
            result.provenance["decoder_started_from"] = source.contentDigest.description
        }
        let (data, package) = try result.package(
            name: name, version: version,
            description: "Decoder trained for the encoder of \(source.manifest.name):"
                + "\(source.manifest.version) on \(photos.count) photos.")
        try context.writeAtomically(data, to: path)
        if let checkpoint {
            // As with `train`: the backbone is safely on disk, the checkpoint has served.
            try? FileManager.default.removeItem(at: checkpoint)
        }
        context.emit([
            "path": .string(path), "name": .string(name), "version": .string(version),
            "digest": .string(package.contentDigest.description), "bytes": .integer(data.count),
            "steps": .integer(result.steps),
            "final_loss": .number(Double(result.finalLoss.total)),
            "held_out_psnr": result.heldOutPSNR.map { JSONValue.number($0) } ?? .null,
        ]) {
            let psnr = result.heldOutPSNR.map { ", held-out PSNR \(Format.number($0)) dB" } ?? ""
            return ["wrote \(path)  \(name):\(version)  \(package.contentDigest)  "
                + "\(result.steps) steps, loss \(Format.number(Double(result.finalLoss.total)))"
                + psnr]
        }
    }
}

/// Helpers of the training commands.
enum Training {
    /// Reads the options `train` and `bench-effect` share into a bank training
    /// configuration: `--k`, `--crop`, `--neighbour-grid`, `--paired`, `--samples`,
    /// `--epochs` and `--seed` (`--levels` needs the backbone: see `readLevels`).
    static func readBankOptions(_ arguments: ParsedArguments,
                                into configuration: inout BankTrainingConfiguration) throws {
        configuration.k = try count(arguments.value("k"), "--k") ?? configuration.k
        configuration.crop.size = try count(arguments.value("crop"), "--crop")
            ?? configuration.crop.size
        configuration.neighbourGrid = try count(arguments.value("neighbour-grid"),
                                                "--neighbour-grid")
            ?? configuration.neighbourGrid
        configuration.pairedCrops = arguments.flag("paired")
        configuration.samplesPerSet = try count(arguments.value("samples"), "--samples")
            ?? configuration.samplesPerSet
        configuration.training.epochs = try count(arguments.value("epochs"), "--epochs")
            ?? configuration.training.epochs
        configuration.training.seed = try Generate.seed(arguments.value("seed"))
        configuration.guide = try readGuide(arguments)
    }

    /// `--skip-unreadable`, shared by the commands that read photo folders.
    static let skipUnreadableOption = OptionSpec(
        "skip-unreadable",
        help: "skip photos that look like PNG/JPEG but cannot be decoded (default: refuse the "
            + "folder, naming them)")

    /// Reads a photo folder, noting skipped files as they are met, and skipping undecodable
    /// photos when `--skip-unreadable` is given.
    static func loadPhotos(_ folder: String, _ arguments: ParsedArguments,
                           context: CommandContext) throws -> PhotoSet {
        try PhotoSet.load(folder: URL(fileURLWithPath: context.path(folder)),
                          skipUnreadable: arguments.flag("skip-unreadable"),
                          warn: { context.note($0) })
    }

    /// The version a retrained backbone gets by default: under the starting backbone's name,
    /// its version + 1 (the retrained decoder is new content, and versions are immutable);
    /// under another name, 1.
    static func nextVersion(after source: Manifest, name: String) throws -> String {
        guard name == source.name else { return "1" }
        guard let number = Int(source.version), number >= 0, number < Int.max else {
            throw CLIError.usage("give --version: the starting backbone's version "
                                 + "'\(source.version)' is not a whole number to count on from")
        }
        return String(number + 1)
    }

    /// Reads `--guide-radius` and `--guide-epsilon` into a bank's guided change (nil when
    /// neither is given).
    static func readGuide(_ arguments: ParsedArguments) throws -> ChangeGuide? {
        let radiusText = arguments.value("guide-radius")
        let epsilonText = arguments.value("guide-epsilon")
        guard let radiusText else {
            guard epsilonText == nil else {
                throw CLIError.usage("--guide-epsilon needs --guide-radius")
            }
            return nil
        }
        guard let radius = Int(radiusText) else {
            throw CLIError.usage("--guide-radius needs a whole number of pixels in "
                                 + "1-\(ChangeGuide.maximumRadius), got '\(radiusText)'")
        }
        var guide = ChangeGuide(radius: radius, epsilon: 0.001)
        if let epsilonText {
            guard let epsilon = Double(epsilonText) else {
                throw CLIError.usage("--guide-epsilon needs a number in [0.000001, 1], got "
                                     + "'\(epsilonText)'")
            }
            guide.epsilon = epsilon
        }
        do {
            try guide.validate()
        } catch {
            throw CLIError.usage(error.message.replacingOccurrences(
                of: "bank.guide.", with: "--guide-"))
        }
        return guide
    }

    /// Reads `--levels` (names or numbers of the backbone's levels), when given.
    static func readLevels(_ arguments: ParsedArguments, backbone: Backbone,
                           into configuration: inout BankTrainingConfiguration) throws {
        if let levels = arguments.value("levels") {
            configuration.levels = try Generate.levels(levels, backbone: backbone)
        }
    }

    /// A finite, non-negative number option, or nil when absent.
    static func fraction(_ text: String?, _ option: String) throws -> Float? {
        guard let text else { return nil }
        guard let value = Float(text), value.isFinite, value >= 0 else {
            throw CLIError.usage("\(option) needs a number >= 0, got '\(text)'")
        }
        return value
    }

    /// A positive (or, `allowingZero`, non-negative) whole number option, or nil when absent.
    static func count(_ text: String?, _ option: String,
                      allowingZero: Bool = false) throws -> Int? {
        guard let text else { return nil }
        let least = allowingZero ? 0 : 1
        guard let value = Int(text), value >= least else {
            throw CLIError.usage("\(option) needs a whole number >= \(least), got '\(text)'")
        }
        return value
    }
}
