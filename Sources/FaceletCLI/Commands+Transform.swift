import FaceletImaging
import FaceletTraining
import Foundation

extension FaceletCommandLine {
    /// The command that builds a known-answer target set: Y = T(X) for a fixed transform T.
    static let transformCommands: [Command] = [
        Command(spec: CommandSpec(
            "transform-photos",
            summary: "write T(x) for every photo of a folder (a known-answer target set Y)",
            options: [
                OptionSpec("photos", value: "DIR", help: "the photos x (PNG or JPEG)"),
                OptionSpec("transform", value: "T",
                           help: "warm-grade (global colour grade, default), shadow-lift (a "
                               + "local change where the photo is dark) or bright-patch (a "
                               + "fixed ellipse)"),
                OptionSpec("output", short: "o", value: "DIR",
                           help: "the folder to write T(x) into, as PNG (created if missing)"),
            ],
            discussion: """
                Lets anyone check what `train` learns on their own photos: train an effect \
                with --source DIR --target (this output), and the right answer for any photo \
                is known. Files that are not images are skipped with a note; an unreadable \
                image is an error. Each output is written atomically.
                """),
                run: transformPhotos),
    ]

    @Sendable static func transformPhotos(_ context: CommandContext) throws {
        let arguments = context.arguments
        guard let photosText = arguments.value("photos"),
              let outputText = arguments.value("output") else {
            throw CLIError.usage("transform-photos needs --photos DIR and -o DIR")
        }
        let transform = try Transforms.named(arguments.value("transform") ?? "warm-grade")
        let source = URL(fileURLWithPath: context.path(photosText))
        let target = URL(fileURLWithPath: context.path(outputText))
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: source.path)
                .filter { !$0.hasPrefix(".") }.sorted()
        } catch {
            throw CLIError.user("file-not-found", "cannot read the folder \(source.path)")
        }
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)

        var written: [String] = []
        for name in names {
            let file = source.appendingPathComponent(name)
            // A Result, not `catch where`: Swift 6.3.1 crashes on a filtered catch of a
            // typed-throws call (see Thumbnails.swift).
            let decoded = Result { () throws(ImageError) in
                try ImageCodec.decode(contentsOf: file)
            }
            let image: RGBImage
            switch decoded {
            case .success(let photo):
                image = photo
            case .failure(let error) where error.code == .notAnImage
                || error.code == .unsupported:
                context.note("skipped \(file.path): \(error.message)")
                continue
            case .failure(let error):
                throw error
            }
            let stem = (name as NSString).deletingPathExtension
            let path = target.appendingPathComponent(stem + ".png").path
            try context.writeAtomically(ImageCodec.encodePNG(transform.apply(image).image),
                                        to: path)
            written.append(path)
        }
        guard !written.isEmpty else {
            throw CLIError.user("no-photos", "\(source.path) holds no PNG or JPEG photo")
        }
        context.emit(["transform": .string(transform.name), "written": .strings(written)]) {
            ["wrote \(written.count) photos transformed by \(transform.name) to \(target.path)"]
        }
    }
}

/// The known-answer transforms by their command-line names.
enum Transforms {
    static func named(_ text: String) throws -> PhotoTransform {
        switch text {
        case "warm-grade": return .warmGrade
        case "bright-patch": return .brightPatch
        case "shadow-lift": return .shadowLift
        default:
            throw CLIError.usage("--transform must be warm-grade, shadow-lift or bright-patch, "
                                 + "got '\(text)'")
        }
    }
}
