import FaceletPackage
import FaceletStore
import Foundation

extension FaceletCommandLine {
    /// The commands that change the store.
    static let storeCommands: [Command] = [
        Command(spec: CommandSpec(
            "init", summary: "create the store (safe to run twice)",
            discussion: "Creates the store folder, its SQLite catalogue and blob folders."),
                run: initStore),
        Command(spec: CommandSpec(
            "publish", summary: "add a bank or backbone package to the store",
            positionals: [PositionalSpec("FILE", help: "the package file (.fbk or .fbb)")],
            options: [OptionSpec("sign", value: "KEYFILE",
                                 help: "sign with this private key (default: signing_key in "
                                     + "registry.json, if set)"),
                      OptionSpec("to", value: "REMOTE",
                                 help: "upload to this remote registry instead of the local "
                                     + "store (a remotes name or a URL)")],
            discussion: """
                Validates the file completely first; a bank must be bound to a backbone that \
                is already in the store. Publishing the same content again is a no-op; other \
                content under an existing name:version is refused. For a bank, heat-map \
                thumbnails are rendered for the reference photos named in registry.json. \
                With a signing key, the package's content digest is signed (Ed25519) and the \
                signature stored with the version, also when the content was already there. \
                With --to, the file is uploaded to a remote registry (POST /v1/publish, the \
                token from the remote's token_env, default FACELET_TOKEN) with its \
                signatures; the local store is not changed.
                """),
                run: publish),
        Command(spec: CommandSpec(
            "tag", summary: "point a tag at a version (latest moves by itself)",
            positionals: [PositionalSpec("NAME:VERSION", help: "the version"),
                          PositionalSpec("TAG", help: "the tag name")]),
                run: tag),
        Command(spec: CommandSpec(
            "rm", summary: "remove a version (its bytes go at the next gc)",
            positionals: [PositionalSpec("NAME:VERSION", help: "the version to remove")]),
                run: remove),
        Command(spec: CommandSpec(
            "export", summary: "write a stored version out as a package file, or for PyTorch",
            positionals: [PositionalSpec("NAME[:VERSION]", help: "the version (or @TAG)")],
            options: [
                OptionSpec("output", short: "o", value: "FILE", help: "the file to write"),
                OptionSpec("format", value: "F",
                           help: "facelet (default: the package itself), safetensors, pytorch"),
                OptionSpec("naming", value: "N",
                           help: "tensor names: facelet (default), original, torchvision"),
                OptionSpec("part", value: "P",
                           help: "all (default), encoder or decoder (of a backbone)"),
            ],
            discussion: """
                --format facelet writes the stored package byte for byte (same content \
                digest). safetensors and pytorch write the tensors for Python \
                (safetensors.torch.load_file, torch.load(path, weights_only=True)); --naming \
                original uses the 2018 release's module names, torchvision the features.N \
                names of an encoder. See docs/import.md.
                """),
                run: export),
        Command(spec: CommandSpec(
            "verify", summary: "re-hash everything stored and report any damage"),
                run: verify),
        Command(spec: CommandSpec(
            "gc", summary: "remove stored bytes that no version references"),
                run: collectGarbage),
    ]

    // MARK: - init

    @Sendable static func initStore(_ context: CommandContext) throws {
        let database = (context.storePath as NSString).appendingPathComponent("store.sqlite")
        let existed = FileManager.default.fileExists(atPath: database)
        _ = try Store.create(at: URL(fileURLWithPath: context.storePath, isDirectory: true))
        context.emit(["store": .string(context.storePath), "created": .bool(!existed)]) {
            [existed ? "store at \(context.storePath) already exists (nothing to do)"
                : "created store at \(context.storePath)"]
        }
    }

    // MARK: - publish

    @Sendable static func publish(_ context: CommandContext) throws {
        if let remote = context.arguments.value("to") {
            return try publishToRemote(context, remote: remote)
        }
        let path = context.path(context.positional(0))
        let package = try context.readPackage(at: path)
        let manifest = package.manifest
        let signatures = try publishSignatures(for: package, context: context)
        let (outcome, stored) = try publish(package, context: context, signatures: signatures)
        let json: JSONValue = [
            "reference": .string(outcome.reference),
            "name": .string(manifest.name),
            "version": .string(manifest.version),
            "kind": .string(manifest.kind.rawValue),
            "digest": .string(outcome.digest.description),
            "new": .bool(!outcome.alreadyPresent),
            "thumbnails": .array(stored.map {
                ["reference": .string($0.reference), "level": .string($0.level)]
            }),
            "signatures": .strings(signatures.map(\.keyID)),
        ]
        context.emit(json) {
            let state = outcome.alreadyPresent ? "already present" : "new"
            var lines = ["\(outcome.reference)  \(outcome.digest)  \(state)"]
            for signature in signatures {
                lines.append("signed by \(signature.keyID)")
            }
            if !stored.isEmpty {
                let photos = Set(stored.map(\.reference)).sorted().joined(separator: ", ")
                lines.append("thumbnails: \(stored.count) for \(photos)")
            }
            return lines
        }
    }

    /// Stores `package` with `signatures`, rendering a bank's thumbnails first (what `publish`
    /// and `import --publish` share). Returns the outcome and the thumbnails actually stored.
    static func publish(_ package: Package, context: CommandContext,
                        signatures: [SignatureRecord] = []) throws
        -> (outcome: PublishOutcome, thumbnails: [ThumbnailInput]) {
        let store = try context.openStore()
        let manifest = package.manifest
        var thumbnails: [ThumbnailInput] = []
        let existing = try? store.resolve(Reference(name: manifest.name,
                                                    selector: .version(manifest.version)))
        // Republishing the same content is a no-op: no need to render thumbnails for it.
        if manifest.kind == .bank && existing?.digest != package.contentDigest {
            let backbone = try Thumbnails.backbonePackage(for: manifest, in: store)
            thumbnails = try Thumbnails.render(bank: package, backbone: backbone, context: context)
        }
        let outcome = try store.publish(package, thumbnails: thumbnails, signatures: signatures)
        return (outcome, outcome.alreadyPresent ? [] : thumbnails)
    }

    // MARK: - tag, rm

    @Sendable static func tag(_ context: CommandContext) throws {
        let reference = try context.exactReference(context.positional(0), for: "tag")
        let tag = context.positional(1)
        let store = try context.openStore()
        try store.tag(reference, as: tag)
        context.emit(["reference": .string(reference.description), "tag": .string(tag)]) {
            ["tagged \(reference) as \(reference.name)@\(tag)"]
        }
    }

    @Sendable static func remove(_ context: CommandContext) throws {
        let reference = try context.exactReference(context.positional(0), for: "rm")
        let store = try context.openStore()
        let record = try store.resolve(reference)
        let droppedTags = try store.remove(reference)
        context.emit(["removed": .string(record.reference),
                      "digest": .string(record.digest.description),
                      "dropped_tags": .array(droppedTags.map { .string($0) })]) {
            var lines = ["removed \(record.reference)  \(record.digest)"
                            + "  (run gc to free its bytes)"]
            if !droppedTags.isEmpty {
                lines.append("tags removed with it: "
                             + droppedTags.map { "\(record.name)@\($0)" }.joined(separator: ", "))
            }
            return lines
        }
    }

    // MARK: - export

    @Sendable static func export(_ context: CommandContext) throws {
        guard let output = context.arguments.value("output") else {
            throw CLIError.usage("export needs -o FILE")
        }
        let options = try ExportOptions(context.arguments)
        guard options.format == nil else {
            return try exportForPython(context, output: output, options: options)
        }
        let reference = try context.reference(context.positional(0))
        let store = try context.openStore()
        let record = try store.resolve(reference)
        let data = try store.export(reference)
        let path = context.path(output)
        try context.writeAtomically(data, to: path)
        context.emit(["reference": .string(record.reference),
                      "digest": .string(record.digest.description),
                      "path": .string(path), "bytes": .integer(data.count)]) {
            ["exported \(record.reference) to \(path)  \(record.digest)  "
                + Format.bytes(Int64(data.count))]
        }
    }

    // MARK: - verify, gc

    @Sendable static func verify(_ context: CommandContext) throws {
        let store = try context.openStore()
        let report = try store.verify()
        let damaged: [JSONValue] = report.damaged.map { blob in
            ["digest": .string(blob.digest.description), "path": .string(blob.path),
             "missing": .bool(blob.missing), "actual": .optional(blob.actual?.description),
             "versions": .strings(blob.versions)]
        }
        context.emit([
            "clean": .bool(report.isClean), "checked_blobs": .integer(report.checkedBlobs),
            "damaged": .array(damaged),
            "database_problems": .strings(report.databaseProblems),
            "unreferenced_blobs": .integer(report.unreferencedBlobs),
        ]) {
            var lines: [String] = []
            for blob in report.damaged {
                let what = blob.missing
                    ? "missing" : "damaged (hashes to \(blob.actual?.short ?? "?"))"
                let users = blob.versions.isEmpty ? "" : "  used by "
                    + blob.versions.joined(separator: ", ")
                lines.append("\(what): \(blob.digest)  \(blob.path)\(users)")
            }
            for problem in report.databaseProblems {
                lines.append("database: \(problem)")
            }
            let state = report.isClean ? "clean" : "DAMAGED"
            lines.append("checked \(report.checkedBlobs) blobs: \(state)"
                + (report.unreferencedBlobs > 0
                    ? " (\(report.unreferencedBlobs) unreferenced; gc removes them)" : ""))
            return lines
        }
        guard report.isClean else {
            let count = report.damaged.count + report.databaseProblems.count
            let versions = Set(report.damaged.flatMap(\.versions)).sorted()
            let affected = versions.isEmpty ? "" : " affecting " + versions.joined(separator: ", ")
            throw CLIError.user("store.damaged",
                                "the store has \(count) problem(s)\(affected); "
                                    + "republish the affected versions from their files")
        }
    }

    @Sendable static func collectGarbage(_ context: CommandContext) throws {
        let store = try context.openStore()
        let report = try store.gc()
        context.emit([
            "removed_blobs": .array(report.removedBlobs.map { .string($0.description) }),
            "removed_bytes": .integer(Int(report.removedBytes)),
            "removed_temp_files": .integer(report.removedTempFiles.count),
            "removed_partial_files": .integer(report.removedPartialFiles.count),
            "kept_blobs": .integer(report.keptBlobs),
        ]) {
            ["removed \(report.removedBlobs.count) blobs (\(Format.bytes(report.removedBytes)))"
                + ", \(report.removedTempFiles.count) temporary files, "
                + "\(report.removedPartialFiles.count) abandoned partial downloads; "
                + "kept \(report.keptBlobs) blobs"]
        }
    }
}
