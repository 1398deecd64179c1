import FaceletImaging
import FaceletModel
import FaceletPackage
import FaceletStore
import Foundation

extension FaceletCommandLine {
    /// The commands that run a bank on photos.
    static let runtimeCommands: [Command] = [
        Command(spec: CommandSpec(
            "apply", summary: "edit a photo with a bank: z = D(ψ(x) + λ·V(ψ(x)))",
            positionals: [PositionalSpec("NAME[:VERSION]", help: "the bank (or @TAG)"),
                          PositionalSpec("INPUT", help: "the photo (PNG or JPEG)")],
            options: [
                OptionSpec("output", short: "o", value: "OUTPUT",
                           help: "the edited photo (.png, .jpg or .jpeg)"),
                OptionSpec("strength", value: "λ",
                           help: "edit strength (default: the bank's; must lie in its range)"),
                OptionSpec("levels", value: "LIST",
                           help: "levels that receive Δv: 3,4,5 or relu3_1,relu4_1 (default all)"),
            ],
            discussion: """
                The output has the input's size. λ = 0 gives the backbone's reconstruction of \
                the photo. Applying a backbone (not a bank) writes that reconstruction.
                """),
                run: apply),
        Command(spec: CommandSpec(
            "audit", summary: "where a bank acts: heat maps H = Σ_k Δv² and their statistics",
            positionals: [PositionalSpec("NAME[:VERSION]", help: "the bank (or @TAG)")],
            options: [
                OptionSpec("image", value: "PHOTO",
                           help: "compute the maps on this photo (else the stored thumbnails)"),
                OptionSpec("output", short: "o", value: "DIR",
                           help: "write the overlays (PNG) and stats.json into DIR"),
                OptionSpec("against", value: "VERSION",
                           help: "compare with another version (VERSION or NAME:VERSION)"),
            ],
            discussion: """
                Prints per level: mean and max of H, the level's share of the mass of all \
                levels, the share of its mass in its top 10% of cells, and the centroid in \
                photo pixels. Without --image the statistics stored at publish time are shown \
                (and -o copies the stored thumbnails); with --against the maps of both \
                versions are computed (on --image, else the reference photos of registry.json) \
                and compared: per-level correlation and mass shares, combined-map correlation \
                and mean absolute difference.
                """),
                run: audit),
    ]

    // MARK: - apply

    @Sendable static func apply(_ context: CommandContext) throws {
        guard let output = context.arguments.value("output") else {
            throw CLIError.usage("apply needs -o OUTPUT")
        }
        let outputPath = try context.checkPhotoOutput(output)
        let reference = try context.reference(context.positional(0))
        let store = try context.openStore()
        let progress = Progress(io: context.io, label: "apply")
        defer { progress.finish() }
        let model = try EditingModel.load(reference, from: store, progress: progress)

        var strength = 0.0
        var levels: Set<String>?
        if let bank = model.bank {
            strength = try model.strength(context.arguments.value("strength"))
            levels = try model.levels(context.arguments.value("levels"), bank: bank)
        } else if context.arguments.value("strength") != nil
                    || context.arguments.value("levels") != nil {
            throw CLIError.usage("\(model.record.reference) is a backbone: "
                + "--strength and --levels need a bank")
        }
        let photo = try context.readPhoto(context.positional(1))

        let editor = Editor(backbone: model.backbone)
        let result: RGBImage
        if let bank = model.bank {
            progress.step("encoding \(photo.width)x\(photo.height)")
            let session = try editor.prepare(photo, bank: bank)
            progress.step("decoding at λ = \(Format.number(strength))")
            result = session.render(strength: strength, levels: levels)
        } else {
            progress.step("reconstructing \(photo.width)x\(photo.height)")
            result = try editor.reconstruct(photo)
        }
        try ImageCodec.write(result, to: URL(fileURLWithPath: outputPath))

        let usedLevels = model.bank.map { bank in
            bank.levels.filter { levels?.contains($0) ?? true }
        } ?? []
        context.emit([
            "reference": .string(model.record.reference),
            "digest": .string(model.record.digest.description),
            "output": .string(outputPath), "width": .integer(result.width),
            "height": .integer(result.height), "strength": .number(strength),
            "levels": .strings(usedLevels),
        ]) {
            let what = model.bank == nil ? "reconstruction by \(model.record.reference)"
                : "\(model.record.reference) at λ = \(Format.number(strength)) on "
                    + usedLevels.joined(separator: ", ")
            return ["wrote \(outputPath)  \(result.width)x\(result.height)  \(what)"]
        }
    }

    // MARK: - audit

    @Sendable static func audit(_ context: CommandContext) throws {
        let reference = try context.reference(context.positional(0))
        let store = try context.openStore()
        let record = try store.resolve(reference)
        guard record.kind == .bank else {
            throw CLIError.user("not-a-bank", "\(record.reference) is a backbone; audit needs a "
                + "facelet bank")
        }
        let outputFolder = try context.arguments.value("output").map { text in
            try Audit.prepareFolder(context.path(text))
        }
        var against: VersionRecord?
        if let text = context.arguments.value("against") {
            let other = text.contains(":") || text.contains("@")
                ? try context.reference(text)
                : try Reference(name: record.name, selector: .version(text))
            against = try store.resolve(other)
        }

        let photos = try Audit.photos(context: context)
        if photos.isEmpty && against == nil {
            try Audit.reportStored(record: record, store: store, folder: outputFolder,
                                   context: context)
            return
        }
        guard !photos.isEmpty else {
            throw CLIError.user("no-photo",
                                "--against computes both versions' maps and needs a photo: give "
                                    + "--image PHOTO or name reference_photos in registry.json")
        }
        try Audit.reportComputed(record: record, against: against, photos: photos,
                                 store: store, folder: outputFolder, context: context)
    }
}
