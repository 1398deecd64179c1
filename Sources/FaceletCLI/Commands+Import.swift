import FaceletImport
import FaceletPackage
import FaceletStore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension FaceletCommandLine {
    /// The commands that bring weights in from PyTorch (export to PyTorch is an option of
    /// `export`).
    static let importCommands: [Command] = [
        Command(spec: CommandSpec(
            "import", summary: "make a package from PyTorch checkpoints or safetensors files",
            positionals: [PositionalSpec("FILE", repeating: true,
                                         help: "the .pth / .safetensors files (one package)")],
            options: [
                OptionSpec("as", value: "NAME:VERSION",
                           help: "the package's name and version (default: file name, 1)"),
                OptionSpec("arch", value: "NAME",
                           help: "a backbone's architecture: "
                               + Importer.architectureNames.joined(separator: ", ")),
                OptionSpec("layout", value: "L",
                           help: "the key layout, when it cannot be recognised from the keys"),
                OptionSpec("backbone", value: "REF",
                           help: "the stored backbone a bank file is bound to"),
                OptionSpec("publish", help: "store the package"),
                OptionSpec("output", short: "o", value: "FILE", help: "write the package file"),
            ],
            discussion: """
                Reads the files without running any code from them (a restricted pickle \
                reader; see docs/import.md), maps their keys onto Facelet's names and builds \
                one package: a facelet bank from a single bank file (needs --backbone), else \
                a backbone from all files together (architecture inferred unless --arch). \
                Writes it with -o, stores it with --publish (both allowed; at least one is \
                needed). Nothing is written or stored when any step fails. The provenance \
                records each source file's name, SHA-256, format and key mapping.
                """),
                run: importWeights),
    ]

    // MARK: - import

    @Sendable static func importWeights(_ context: CommandContext) throws {
        let arguments = context.arguments
        let output = arguments.value("output").map(context.path)
        guard output != nil || arguments.flag("publish") else {
            throw CLIError.usage("import needs -o FILE, --publish or both")
        }
        let layout = try importLayout(arguments.value("layout"))
        let identity = try importIdentity(arguments.value("as"))
        let files = arguments.positionals.map(context.path)
        for file in files where !FileManager.default.fileExists(atPath: file) {
            throw CLIError.user("file-not-found", "no such file: \(file)")
        }

        let parts = try files.map { file throws(ImportError) in
            try Importer.weights(contentsOf: URL(fileURLWithPath: file), layout: layout)
        }
        let name = identity?.name ?? Importer.suggestedName(for: parts[0].source)
        let version = identity?.version ?? "1"
        let built: (data: Data, package: Package)
        if parts.count == 1, parts[0].role == .bank {
            guard arguments.value("arch") == nil else {
                throw CLIError.usage("import: --arch applies to backbones; a bank takes its "
                    + "architecture from --backbone")
            }
            guard let backboneText = arguments.value("backbone") else {
                throw CLIError.usage("import: \(parts[0].source.fileName) is a facelet bank; "
                    + "name the stored backbone it belongs to with --backbone REF")
            }
            let backbone = try context.openStore()
                .loadPackage(context.reference(backboneText))
            built = try Importer.bank(parts[0], backbone: backbone, name: name, version: version)
        } else {
            if arguments.value("backbone") != nil {
                throw CLIError.usage("import: --backbone applies to a single bank file; these "
                    + "files make a backbone")
            }
            let width = parts.compactMap(\.width).first ?? 1
            let architecture = try arguments.value("arch").map { text throws(CLIError) in
                guard let found = Importer.architecture(named: text, width: width) else {
                    throw CLIError.usage("import: unknown --arch '\(text)'; choose one of "
                        + Importer.architectureNames.joined(separator: ", "))
                }
                return found
            }
            built = try Importer.backbone(parts, architecture: architecture, name: name,
                                          version: version)
        }

        if let output {
            try context.writeAtomically(built.data, to: output)
        }
        var published: (outcome: PublishOutcome, thumbnails: [ThumbnailInput])?
        if arguments.flag("publish") {
            published = try publish(built.package, context: context)
        }
        emitImport(context, package: built.package, bytes: built.data.count, parts: parts,
                   output: output, published: published)
    }

    /// Parses `--layout`.
    private static func importLayout(_ text: String?) throws(CLIError) -> CheckpointLayout? {
        guard let text else { return nil }
        guard let layout = CheckpointLayout(rawValue: text) else {
            throw .usage("import: unknown --layout '\(text)'; choose one of "
                + CheckpointLayout.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return layout
    }

    /// Parses `--as NAME:VERSION` (`NAME` alone means version 1).
    private static func importIdentity(_ text: String?) throws -> (name: String, version: String)? {
        guard let text else { return nil }
        let reference = try Reference(parsing: text)
        switch reference.selector {
        case .version(let version):
            return (reference.name, version)
        case .latest where !text.contains("@"):
            return (reference.name, "1")
        default:
            throw CLIError.usage("import: --as needs NAME:VERSION, got '\(text)'")
        }
    }

    private static func emitImport(
        _ context: CommandContext, package: Package, bytes: Int, parts: [ImportedWeights],
        output: String?, published: (outcome: PublishOutcome, thumbnails: [ThumbnailInput])?
    ) {
        let manifest = package.manifest
        let reference = "\(manifest.name):\(manifest.version)"
        let sources: [JSONValue] = parts.map { part in
            ["file": .string(part.source.fileName),
             "sha256": .string(part.source.sha256.description),
             "format": .string(part.source.format.rawValue),
             "layout": .string(part.layout.rawValue),
             "tensors": .integer(part.tensors.count),
             "ignored_keys": .integer(part.ignoredKeys.count)]
        }
        let json: JSONValue = [
            "reference": .string(reference), "name": .string(manifest.name),
            "version": .string(manifest.version), "kind": .string(manifest.kind.rawValue),
            "digest": .string(package.contentDigest.description),
            "architecture": .optional(manifest.architecture?.family),
            "backbone": .optional(manifest.backbone?.description),
            "tensors": .integer(package.tensors.count), "bytes": .integer(bytes),
            "sources": .array(sources), "path": .optional(output),
            "published": .bool(published != nil),
            "new": published.map { .bool(!$0.outcome.alreadyPresent) } ?? .null,
            "thumbnails": .array((published?.thumbnails ?? []).map {
                ["reference": .string($0.reference), "level": .string($0.level)]
            }),
        ]
        context.emit(json) {
            let from = parts.map { "\($0.source.fileName) [\($0.layout.rawValue)]" }
                .joined(separator: ", ")
            var lines = ["imported \(reference)  \(manifest.kind.rawValue), "
                + "\(package.tensors.count) tensors from \(from)"]
            if let output {
                lines.append("wrote \(output)  \(package.contentDigest)  "
                    + Format.bytes(Int64(bytes)))
            }
            if let published {
                let state = published.outcome.alreadyPresent ? "already present" : "new"
                lines.append("\(published.outcome.reference)  \(published.outcome.digest)  "
                    + state)
            }
            return lines
        }
    }

    // MARK: - export for Python

    /// `export --format safetensors|pytorch`: the stored version's tensors through
    /// `Exporter.export`, written to a temporary file and renamed into place.
    static func exportForPython(_ context: CommandContext, output: String,
                                options: ExportOptions) throws {
        guard let format = options.format else {
            preconditionFailure("exportForPython needs a Python format")
        }
        let reference = try context.reference(context.positional(0))
        let store = try context.openStore()
        let record = try store.resolve(reference)
        let package = try store.loadPackage(reference)
        guard options.part == .all || package.manifest.kind == .backbone else {
            throw CLIError.user("not-a-backbone",
                                "\(record.reference) is a bank; --part encoder|decoder splits a"
                                    + " backbone, leave it out for a bank")
        }
        let path = context.path(output)
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder),
              isFolder.boolValue else {
            throw CLIError.user("io", "cannot write \(path): folder \(folder.path) does not exist")
        }
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID()).tmp")
        do {
            try Exporter.export(package, format: format, naming: options.naming,
                                part: options.part, to: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        guard rename(temporary.path, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw CLIError.user("io", "cannot write \(path): \(reason)")
        }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let count = try Exporter.stateDict(of: package, naming: options.naming,
                                           part: options.part).count
        context.emit([
            "reference": .string(record.reference), "digest": .string(record.digest.description),
            "path": .string(path), "bytes": .integer(bytes),
            "format": .string(format.rawValue), "naming": .string(options.naming.rawValue),
            "part": .string(options.part.rawValue), "tensors": .integer(count),
        ]) {
            ["exported \(record.reference) to \(path)  \(format.rawValue), "
                + "\(options.naming.rawValue) names, \(count) tensors  "
                + Format.bytes(Int64(bytes))]
        }
    }
}

/// `export`'s `--format`, `--naming` and `--part`.
struct ExportOptions {
    /// The Python format, or nil for `facelet` (the package file itself).
    let format: ExportFormat?
    /// The tensor names.
    let naming: ExportNaming
    /// Which half of a backbone.
    let part: ExportPart

    init(_ arguments: ParsedArguments) throws(CLIError) {
        let formatText = arguments.value("format") ?? "facelet"
        if formatText == "facelet" {
            format = nil
        } else if let parsed = ExportFormat(rawValue: formatText) {
            format = parsed
        } else {
            throw .usage("export: unknown --format '\(formatText)'; choose facelet, "
                + ExportFormat.allCases.map(\.rawValue).joined(separator: " or "))
        }
        let namingText = arguments.value("naming") ?? "facelet"
        guard let naming = ExportNaming(rawValue: namingText) else {
            throw .usage("export: unknown --naming '\(namingText)'; choose "
                + ExportNaming.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let partText = arguments.value("part") ?? "all"
        guard let part = ExportPart(rawValue: partText) else {
            throw .usage("export: unknown --part '\(partText)'; choose "
                + ExportPart.allCases.map(\.rawValue).joined(separator: ", "))
        }
        if format == nil && (naming != .facelet || part != .all) {
            throw .usage("export: --naming and --part apply to --format safetensors or pytorch;"
                + " the facelet format is the whole package as stored")
        }
        self.naming = naming
        self.part = part
    }
}
