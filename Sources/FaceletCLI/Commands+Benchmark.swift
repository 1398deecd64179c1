import FaceletModel
import FaceletTraining
import Foundation

extension FaceletCommandLine {
    /// The known-answer benchmark of the ways to obtain Δv.
    static let benchmarkCommands: [Command] = [
        Command(spec: CommandSpec(
            "bench-effect",
            summary: "benchmark global-mean, knn and facelet on an effect with a known answer",
            options: [
                OptionSpec("backbone", value: "REF",
                           help: "the backbone: a store reference or a package file"),
                OptionSpec("photos", value: "DIR", help: "the photos (at least 2)"),
                OptionSpec("transform", value: "T",
                           help: "warm-grade (global, default), shadow-lift (local, where the "
                               + "photo is dark) or bright-patch (local, a fixed ellipse)"),
                OptionSpec("held-out", value: "N", help: "photos held out for evaluation (1)"),
                OptionSpec("eval-crops", value: "N",
                           help: "evaluation crops per held-out photo (8)"),
                OptionSpec("samples", value: "N", help: "training crops per set (256)"),
                OptionSpec("crop", value: "PX",
                           help: "side of the square training crops (64, at most 256)"),
                OptionSpec("k", value: "K", help: "K of Eq. 6 (100)"),
                OptionSpec("neighbour-grid", value: "G",
                           help: "find Eq. 6's neighbours on features pooled to G x G cells "
                               + "per level (1 = spatial means, the default)"),
                OptionSpec("epochs", value: "E", help: "Adam epochs for facelet (30)"),
                OptionSpec("guide-radius", value: "PX",
                           help: "render every method with a guided change of this window "
                               + "radius, as a bank trained with it would be (off)"),
                OptionSpec("guide-epsilon", value: "E",
                           help: "the guided change's ridge term (0.001; with --guide-radius)"),
                OptionSpec("levels", value: "LIST",
                           help: "levels the effects act on (default all)"),
                OptionSpec("seed", value: "S", help: "random seed (1)"),
                OptionSpec("paired", help: "Y = T of the very crops of X (default: T of other "
                               + "crops of the same photos, unpaired)"),
                Training.skipUnreadableOption,
            ],
            discussion: """
                X = crops of the training photos, Y = T(X) for a fixed photo transform T. Each \
                method's edit of held-out crops is compared with T of those crops: closure \
                1 - |z - T(x)| / |x - T(x)| at λ = 1 and at the best λ, and for the local \
                transform the share of the heat map inside T's region. Writes nothing.
                """),
                run: benchEffect),
    ]

    @Sendable static func benchEffect(_ context: CommandContext) throws {
        let arguments = context.arguments
        guard let backboneText = arguments.value("backbone"),
              let photosText = arguments.value("photos") else {
            throw CLIError.usage("bench-effect needs --backbone REF and --photos DIR")
        }
        let transform = try Transforms.named(arguments.value("transform") ?? "warm-grade")
        var options = EffectBenchmarkOptions()
        options.heldOut = try Training.count(arguments.value("held-out"), "--held-out")
            ?? options.heldOut
        options.samplesPerHeldOutPhoto = try Training.count(arguments.value("eval-crops"),
                                                            "--eval-crops")
            ?? options.samplesPerHeldOutPhoto
        try Training.readBankOptions(arguments, into: &options.training)
        try options.training.validate()

        let progress = Progress(io: context.io, label: "bench-effect")
        defer { progress.finish() }
        let backbone = try Backbone(package: Generate.backbonePackage(backboneText,
                                                                      context: context))
        try Training.readLevels(arguments, backbone: backbone, into: &options.training)
        let photos = try Training.loadPhotos(photosText, arguments, context: context)
        let result = try EffectBenchmark.run(
            backbone: backbone, photos: photos, transform: transform, options: options,
            progress: { step in
                progress.update(step.epoch, of: step.epochs,
                                detail: "epochs, loss \(Format.number(Double(step.loss))), "
                                    + "\(Format.duration(step.remaining)) left")
            },
            log: { progress.step($0) })
        progress.finish()
        // --json carries them in `warnings`; a terminal or a log should see them too (the
        // photo folder's were noted as they were met).
        result.warnings.dropFirst(photos.warnings.count).forEach { context.note($0) }

        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let json = try JSONDecoder().decode(JSONValue.self, from: encoder.encode(result))
        context.emit(json) {
            var table = TextTable()
            table.add("method", "closure at λ=1", "best λ", "best closure", "feature closure",
                      "region share", "final loss", "seconds")
            for method in result.methods {
                table.add(method.method.rawValue, Format.number(method.closure, digits: 3),
                          Format.number(method.bestStrength),
                          Format.number(method.bestClosure, digits: 3),
                          Format.number(method.featureClosure, digits: 3),
                          method.regionShare.map { Format.number($0, digits: 3) } ?? "-",
                          method.finalLoss.map { Format.number($0) } ?? "-",
                          Format.number(method.seconds, digits: 3))
            }
            var lines = ["\(result.transform) (\(result.kind.rawValue)): \(result.trainingPhotos) "
                + "training / \(result.heldOutPhotos) held-out photos, "
                + "\(result.evaluationSamples) evaluation crops of \(result.cropSize) px, "
                + "\(result.trainingSamples) crops per set "
                + "(\(result.paired ? "paired" : "unpaired")), "
                + "K \(result.k), levels \(result.levels.joined(separator: ",")), "
                + "transform RMS \(Format.number(result.transformRMS, digits: 3))"
                + (result.guide.map { ", guided change radius \($0.radius) px, ε "
                    + Format.number($0.epsilon) } ?? "")]
            if let found = result.ownEditFound {
                lines.append("Eq. 6 found each crop's own edit as its nearest neighbour in Y for "
                    + Format.number(100 * found, digits: 3) + " % of X")
            }
            lines += table.lines
            lines.append("oracle (exact feature change at these levels): closure "
                + Format.number(result.oracleClosure, digits: 3)
                + (result.oracleRegionShare.map { ", region share " + Format.number($0, digits: 3) }
                    ?? "")
                + (result.regionArea.map { "; the region covers " + Format.number($0, digits: 3)
                    + " of a crop" } ?? ""))
            lines.append("reconstruction PSNR: edit path at λ = 0 "
                + "\(Format.number(result.reconstruction.editPathPSNR, digits: 3)) dB, "
                + "decoder alone " + (result.reconstruction.decoderPSNR.map {
                    "\(Format.number($0, digits: 3)) dB" } ?? "n/a (its output is a colour transform)"))
            return lines
        }
    }
}
