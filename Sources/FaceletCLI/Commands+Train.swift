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
                OptionSpec("samples", value: "N", help: "training crops per set (256)"),
                OptionSpec("epochs", value: "E", help: "Adam epochs (30)"),
                OptionSpec("seed", value: "S", help: "random seed for crops and weights (1)"),
                OptionSpec("levels", value: "LIST", help: "levels to act on (default all)"),
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
        configuration.k = try Training.count(arguments.value("k"), "--k") ?? configuration.k
        configuration.samplesPerSet = try Training.count(arguments.value("samples"), "--samples")
            ?? configuration.samplesPerSet
        configuration.training.epochs = try Training.count(arguments.value("epochs"), "--epochs")
            ?? configuration.training.epochs
        configuration.training.seed = try Generate.seed(arguments.value("seed"))
        let path = context.path(output)
        let name = context.positional(0)
        try Naming.validateName(name)

        let progress = Progress(io: context.io, label: "train")
        defer { progress.finish() }
        let backbone = try Backbone(package: Generate.backbonePackage(backboneText,
                                                                      context: context))
        if let levels = arguments.value("levels") {
            configuration.levels = try Generate.levels(levels, backbone: backbone)
        }
        try configuration.validate()
        progress.step("reading photos")
        let source = try PhotoSet.load(folder: URL(fileURLWithPath: context.path(sourceText)),
                                       warn: { context.note($0) })
        let target = try PhotoSet.load(folder: URL(fileURLWithPath: context.path(targetText)),
                                       warn: { context.note($0) })
        let job = BankTrainingJob(backbone: backbone, configuration: configuration)
        let result = try job.run(
            source: source, target: target, name: name,
            version: arguments.value("version") ?? "1",
            description: arguments.value("description") ?? "",
            progress: { step in
                progress.update(step.epoch, of: step.epochs,
                                detail: "loss \(Format.number(Double(step.loss)))")
            },
            log: { progress.step($0) })
        try context.writeAtomically(result.data, to: path)

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

/// Helpers of the training commands.
enum Training {
    /// A positive whole number option, or nil when absent.
    static func count(_ text: String?, _ option: String) throws -> Int? {
        guard let text else { return nil }
        guard let value = Int(text), value >= 1 else {
            throw CLIError.usage("\(option) needs a whole number >= 1, got '\(text)'")
        }
        return value
    }
}
