import FaceletPackage
import FaceletStore
import Foundation

extension FaceletCommandLine {
    /// The commands that read the store's catalogue.
    static let catalogueCommands: [Command] = [
        Command(spec: CommandSpec("list", summary: "list packages, versions and tags"),
                run: list),
        Command(spec: CommandSpec(
            "show", summary: "show one version: manifest, tensors, tags, thumbnails, signatures",
            positionals: [PositionalSpec("NAME[:VERSION|@TAG]", help: "the version")]),
                run: show),
        Command(spec: CommandSpec(
            "diff", summary: "name the tensors that differ between two versions",
            positionals: [PositionalSpec("NAME:V1", help: "the first version"),
                          PositionalSpec("NAME:V2", help: "the second version")]),
                run: diff),
        Command(spec: CommandSpec(
            "log", summary: "show the audit log (publish, tag, rm, gc, sign, trust, untrust)",
            options: [OptionSpec("limit", short: "n", value: "N",
                                 help: "how many entries (default 50)")]),
                run: log),
    ]

    // MARK: - list

    @Sendable static func list(_ context: CommandContext) throws {
        let store = try context.openStore()
        let packages = try store.list()
        let json: JSONValue = ["packages": .array(packages.map { (summary) -> JSONValue in
            ["name": .string(summary.name), "kind": .string(summary.kind.rawValue),
             "latest": .string(summary.latest),
             "versions": .strings(summary.versions),
             "tags": .strings(summary.tags)]
        })]
        context.emit(json) {
            guard !packages.isEmpty else { return ["(the store is empty)"] }
            var table = TextTable()
            table.add("NAME", "KIND", "LATEST", "VERSIONS", "TAGS")
            for summary in packages {
                let tags = summary.tags.filter { $0.key != Reference.latestTag }
                    .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                table.add(summary.name, summary.kind.rawValue, summary.latest,
                          summary.versions.joined(separator: ", "),
                          tags.isEmpty ? "-" : tags.joined(separator: ", "))
            }
            return table.lines
        }
    }

    // MARK: - show

    @Sendable static func show(_ context: CommandContext) throws {
        let store = try context.openStore()
        let detail = try store.show(context.reference(context.positional(0)))
        let record = detail.record
        var backboneName: String?
        if let digest = record.backbone {
            let owner = try store.list().lazy.flatMap { summary in
                summary.versions.lazy.map { (summary.name, $0) }
            }.first { pair in
                (try? store.resolve(Reference(name: pair.0, selector: .version(pair.1))))?
                    .digest == digest
            }
            backboneName = owner.map { "\($0.0):\($0.1)" }
        }
        let signatures = try store.signatures(for: record.digest)
        var json = showJSON(detail, backboneName: backboneName)
        if case .object(var members) = json {
            members["signatures"] = signaturesJSON(signatures)
            json = .object(members)
        }
        context.emit(json) {
            showLines(detail, backboneName: backboneName) + signatureLines(signatures)
        }
    }

    private static func showJSON(_ detail: VersionDetail, backboneName: String?) -> JSONValue {
        let record = detail.record
        let manifest = detail.manifest
        return [
            "reference": .string(record.reference), "name": .string(record.name),
            "version": .string(record.version), "kind": .string(record.kind.rawValue),
            "digest": .string(record.digest.description),
            "description": .string(manifest.description),
            "backbone": .optional(record.backbone?.description),
            "backbone_reference": .optional(backboneName),
            "levels": manifest.levels.map { JSONValue.strings($0) } ?? .null,
            "strength": ["default": .number(manifest.strength.default),
                         "min": .number(manifest.strength.min),
                         "max": .number(manifest.strength.max)],
            "guide": manifest.bank?.guide.map { guide -> JSONValue in
                ["radius": .integer(guide.radius), "epsilon": .number(guide.epsilon)]
            } ?? .null,
            "byte_size": .integer(Int(record.byteSize)),
            "created": .string(Format.time(record.created)),
            "tags": .strings(detail.tags),
            "provenance": .strings(manifest.provenance),
            "tensors": .array(detail.tensors.map { (tensor) -> JSONValue in
                ["name": .string(tensor.name), "dtype": .string(tensor.dtype.rawValue),
                 "shape": .array(tensor.shape.map(JSONValue.integer)),
                 "sha256": .string(tensor.digest.hex), "bytes": .integer(Int(tensor.byteSize))]
            }),
            "thumbnails": .array(detail.thumbnails.map { (thumbnail) -> JSONValue in
                ["reference": .string(thumbnail.reference), "level": .string(thumbnail.level),
                 "digest": .string(thumbnail.digest.description),
                 "stats": parsedJSON(thumbnail.statsJSON)]
            }),
        ]
    }

    private static func showLines(_ detail: VersionDetail, backboneName: String?) -> [String] {
        let record = detail.record
        let manifest = detail.manifest
        var head = TextTable()
        head.add("digest", record.digest.description)
        head.add("description", manifest.description.isEmpty ? "-" : manifest.description)
        if let backbone = record.backbone {
            head.add("backbone", backbone.description + (backboneName.map { "  (\($0))" } ?? ""))
        }
        if let levels = manifest.levels {
            head.add("levels", levels.joined(separator: ", "))
        }
        if let architecture = manifest.architecture {
            let levels = architecture.levels.map { "\($0.name) (\($0.channels) ch)" }
            head.add("architecture", "\(architecture.family), width \(architecture.width), "
                + "output \(architecture.output.rawValue), levels "
                + levels.joined(separator: ", "))
        }
        head.add("strength", Format.strength(manifest.strength))
        if let guide = manifest.bank?.guide {
            head.add("guide", "guided change, radius \(guide.radius) px, ε "
                + Format.number(guide.epsilon))
        }
        head.add("size", Format.bytes(record.byteSize))
        head.add("created", Format.time(record.created))
        head.add("tags", detail.tags.isEmpty ? "-" : detail.tags.joined(separator: ", "))
        let provenance = manifest.provenance.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value)" }
        head.add("provenance", provenance.isEmpty ? "-" : provenance.joined(separator: " "))

        var lines = ["\(record.reference)  \(record.kind.rawValue)"] + head.lines.map { "  " + $0 }
        lines.append("tensors (\(detail.tensors.count)):")
        var tensors = TextTable()
        for tensor in detail.tensors {
            tensors.add(tensor.name, tensor.dtype.rawValue, Format.shape(tensor.shape),
                        Format.bytes(tensor.byteSize), tensor.digest.short)
        }
        lines += tensors.lines.map { "  " + $0 }
        lines.append("thumbnails (\(detail.thumbnails.count)):")
        var thumbnails = TextTable()
        for thumbnail in detail.thumbnails {
            var summary = ""
            if thumbnail.level != "combined",
               let object = parsedJSON(thumbnail.statsJSON).objectValue,
               case .number(let share)? = object["mass_share"] {
                summary = "mass share " + Format.number(share, digits: 3)
            }
            thumbnails.add(thumbnail.reference, thumbnail.level, thumbnail.digest.short, summary)
        }
        lines += thumbnails.lines.map { "  " + $0 }
        return lines
    }

    /// Stored JSON text as a value (a string when it does not parse).
    static func parsedJSON(_ text: String) -> JSONValue {
        (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .string(text)
    }

    // MARK: - diff

    @Sendable static func diff(_ context: CommandContext) throws {
        let first = try context.reference(context.positional(0))
        let second = try context.reference(context.positional(1))
        let store = try context.openStore()
        let a = try store.resolve(first)
        let b = try store.resolve(second)
        let result = try store.diff(first, second)
        context.emit([
            "from": .string(a.reference), "to": .string(b.reference),
            "from_digest": .string(a.digest.description),
            "to_digest": .string(b.digest.description),
            "identical": .bool(a.digest == b.digest),
            "changed": .strings(result.changed),
            "added": .strings(result.added),
            "removed": .strings(result.removed),
            "unchanged": .strings(result.unchanged),
        ]) {
            let lines = ["\(a.reference) -> \(b.reference): \(result.changed.count) changed, "
                + "\(result.added.count) added, \(result.removed.count) removed, "
                + "\(result.unchanged.count) unchanged"]
            var table = TextTable()
            for name in result.changed { table.add("changed", name) }
            for name in result.added { table.add("added", name) }
            for name in result.removed { table.add("removed", name) }
            return lines + table.lines.map { "  " + $0 }
        }
    }

    // MARK: - log

    @Sendable static func log(_ context: CommandContext) throws {
        var limit = 50
        if let text = context.arguments.value("limit") {
            guard let value = Int(text), value > 0 else {
                throw CLIError.usage("log: --limit needs a positive whole number, got '\(text)'")
            }
            limit = value
        }
        let store = try context.openStore()
        let entries = try store.auditLog(limit: limit)
        context.emit(["entries": .array(entries.map { (entry) -> JSONValue in
            ["id": .integer(Int(entry.id)), "time": .string(Format.time(entry.time)),
             "action": .string(entry.action.rawValue), "subject": .string(entry.subject),
             "detail": parsedJSON(entry.detailJSON)]
        })]) {
            guard !entries.isEmpty else { return ["(no entries)"] }
            var table = TextTable()
            for entry in entries {
                table.add(Format.time(entry.time), entry.action.rawValue, entry.subject,
                          entry.detailJSON)
            }
            return table.lines
        }
    }
}

extension JSONValue {
    /// The members, when the value is an object.
    var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }
}
