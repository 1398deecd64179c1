import FaceletPackage
import FaceletRemote
import FaceletStore
import Foundation

extension FaceletCommandLine {
    /// The commands that talk to remote registries and write static mirrors
    /// (docs/remote.md). `publish --to` lives with `publish` and runs `publishToRemote`.
    static let remoteCommands: [Command] = [
        Command(spec: CommandSpec(
            "pull", summary: "download a version from a remote registry into the store",
            positionals: [PositionalSpec("NAME[:VERSION|@TAG]",
                                         help: "what to pull (NAME alone: the remote's latest)")],
            options: [
                OptionSpec("from", value: "REMOTE",
                           help: "a remotes name from registry.json or a URL (default: the "
                               + "remote named default)"),
                OptionSpec("no-resume", help: "start interrupted downloads over"),
            ],
            discussion: """
                Resolves the reference in the remote's index, checks the version document's \
                content digest and the signature policy (policy.require_signature), pulls a \
                bank's backbone first when the store lacks it, downloads only the blobs the \
                store lacks into <store>/partial/ (an interrupted pull resumes with Range \
                requests), checks every blob's size and SHA-256, and only then publishes the \
                version in one transaction. A failed pull leaves the catalogue unchanged. \
                REMOTE may be http://…, https://… or file:///DIR (a folder written by \
                mirror). The bearer token comes from the remote's token_env (default \
                FACELET_TOKEN) and is never printed.
                """),
                run: pull),
        Command(spec: CommandSpec(
            "outdated", summary: "list local tags that point elsewhere than the remote's",
            options: [OptionSpec("from", value: "REMOTE",
                                 help: "a remotes name or a URL (default: the remote named "
                                     + "default)")],
            discussion: """
                One GET /v1/index: for every package in the store that the remote also has, \
                each tag (latest included) that names another version there than here. \
                Tags the remote lacks are not listed. `pull NAME@TAG` brings one up to date.
                """),
                run: outdated),
        Command(spec: CommandSpec(
            "mirror", summary: "write the store as a static registry any file server can host",
            positionals: [PositionalSpec("DIR", help: "the mirror folder (made if missing)")],
            discussion: """
                Writes DIR/v1/index, DIR/v1/versions/sha256/<hex> and \
                DIR/v1/blobs/sha256/<hex>: the registry's read API as plain files. \
                Incremental: blobs already there with the right size are kept. Every file is \
                written under a temporary name and renamed, and the index goes last, so a \
                reader never sees an index naming missing files. Pull from it with --from \
                file:///DIR, or serve DIR with any web server (resuming needs Range support).
                """),
                run: mirror),
    ]

    // MARK: - Remotes

    /// A remote as the command line names it: where it is and its token.
    struct ResolvedRemote {
        let location: RemoteLocation
        let token: String?
        let tokenVariable: String

        func client() throws -> RegistryClient {
            try RegistryClient(location: location, token: token, tokenVariable: tokenVariable)
        }
    }

    /// `--from`/`--to` as a remote: a name from registry.json's `remotes`, else a URL; none
    /// given means the remote named `default`.
    static func resolveRemote(_ text: String?, context: CommandContext) throws -> ResolvedRemote {
        let remotes = context.config.remotes
        let chosen: String
        if let text {
            chosen = text
        } else if remotes.contains(where: { $0.name == "default" }) {
            chosen = "default"
        } else {
            throw CLIError.usage("no remote given and registry.json names no remote 'default'; "
                                     + "use --from REMOTE (a remotes name or a URL)")
        }
        if let remote = remotes.first(where: { $0.name == chosen }) {
            return ResolvedRemote(location: try RemoteLocation(parsing: remote.url),
                                  token: context.io.environment[remote.tokenVariable],
                                  tokenVariable: remote.tokenVariable)
        }
        guard chosen.contains("://") else {
            let known = remotes.map(\.name).joined(separator: ", ")
            throw CLIError.user("remote.bad_remote",
                                "no remote named '\(CLIError.oneLine(String(chosen.prefix(80))))'"
                                    + " in registry.json (remotes: "
                                    + (known.isEmpty ? "none" : known) + "); give a URL or add "
                                    + "it under remotes")
        }
        let variable = "FACELET_TOKEN"
        return ResolvedRemote(location: try RemoteLocation(parsing: chosen),
                              token: context.io.environment[variable], tokenVariable: variable)
    }

    // MARK: - pull

    @Sendable static func pull(_ context: CommandContext) throws {
        let reference = try context.reference(context.positional(0))
        let remote = try resolveRemote(context.arguments.value("from"), context: context)
        let store = try context.openStore()
        let progress = Progress(io: context.io, label: "pull")
        var start = Date()
        let options = PullOptions(resume: !context.arguments.flag("no-resume"),
                                  requireSignature: context.config.policy.requireSignature)
        let puller = Puller(store: store, client: try remote.client(), options: options) {
            event in
            switch event {
            case .downloading(let subject, let blobs, let bytes):
                start = Date()
                progress.step("\(subject): \(blobs) blobs, \(Format.bytes(bytes))")
            case .progress(let subject, let done, let total):
                progress.bytes(done, of: total, since: start, detail: subject)
            case .publishing(let subject):
                progress.step("\(subject): verified, publishing")
            }
        }
        let result: PullResult
        do {
            result = try puller.pull(reference)
            progress.finish()
        } catch {
            progress.finish()
            throw error
        }
        let backboneRejected = result.backbone?.result.rejectedSignatures ?? []
        for rejected in result.rejectedSignatures + backboneRejected {
            context.note("dropped a signature by \(rejected) that does not verify")
        }
        var json = pullJSON(result)
        if case .object(var members) = json {
            members["remote"] = .string(remote.location.description)
            json = .object(members)
        }
        context.emit(json) {
            var lines: [String] = []
            if let backbone = result.backbone?.result { lines.append(pullLine(backbone)) }
            lines.append(pullLine(result))
            return lines
        }
    }

    static func pullLine(_ result: PullResult) -> String {
        guard !result.alreadyPresent else {
            return "\(result.reference)  \(result.digest)  already present"
        }
        var line = "pulled \(result.reference)  \(result.digest)  \(result.downloadedBlobs) "
            + "blobs, \(Format.bytes(result.downloadedBytes))"
        if result.resumedBytes > 0 { line += " (\(Format.bytes(result.resumedBytes)) resumed)" }
        if result.reusedBlobs > 0 { line += ", \(result.reusedBlobs) already stored" }
        if !result.signatures.isEmpty {
            line += ", signed by " + result.signatures.joined(separator: ", ")
        }
        return line
    }

    static func pullJSON(_ result: PullResult) -> JSONValue {
        [
            "reference": .string(result.reference),
            "digest": .string(result.digest.description),
            "kind": .string(result.kind.rawValue),
            "new": .bool(!result.alreadyPresent),
            "downloaded_blobs": .integer(result.downloadedBlobs),
            "downloaded_bytes": .integer(Int(result.downloadedBytes)),
            "resumed_bytes": .integer(Int(result.resumedBytes)),
            "reused_blobs": .integer(result.reusedBlobs),
            "signatures": .strings(result.signatures),
            "rejected_signatures": .strings(result.rejectedSignatures),
            "backbone": result.backbone.map { pullJSON($0.result) } ?? .null,
        ]
    }

    // MARK: - outdated

    @Sendable static func outdated(_ context: CommandContext) throws {
        let remote = try resolveRemote(context.arguments.value("from"), context: context)
        let store = try context.openStore()
        let index = try remote.client().index()
        let found = OutdatedTag.compare(local: try store.registryIndex(), remote: index)
        let rows: [JSONValue] = found.map {
            ["name": .string($0.name), "tag": .string($0.tag), "local": .string($0.localVersion),
             "remote": .string($0.remoteVersion),
             "local_digest": .string($0.localDigest.description),
             "remote_digest": .string($0.remoteDigest.description)]
        }
        context.emit(["remote": .string(remote.location.description), "outdated": .array(rows)]) {
            guard !found.isEmpty else {
                return ["every tag matches \(remote.location)"]
            }
            var table = TextTable()
            table.add("TAG", "LOCAL", "REMOTE")
            for tag in found {
                // The same number on both sides with other content: show the digests apart.
                let local = tag.sameVersionOtherContent
                    ? "\(tag.localVersion) (\(tag.localDigest.short))" : tag.localVersion
                let remote = tag.sameVersionOtherContent
                    ? "\(tag.remoteVersion) (\(tag.remoteDigest.short))" : tag.remoteVersion
                table.add("\(tag.name)@\(tag.tag)", local, remote)
            }
            return table.lines
        }
    }

    // MARK: - mirror

    @Sendable static func mirror(_ context: CommandContext) throws {
        guard !context.positional(0).isEmpty else {
            throw CLIError.usage("mirror needs a folder to write to; an empty path is refused")
        }
        let directory = context.path(context.positional(0))
        let store = try context.openStore()
        let report = try StaticMirror(store: store).write(to: directory)
        context.emit([
            "directory": .string(report.directory),
            "versions": .integer(report.versions),
            "documents_written": .integer(report.documentsWritten),
            "blobs_written": .integer(report.blobsWritten),
            "blobs_kept": .integer(report.blobsKept),
            "bytes_written": .integer(Int(report.bytesWritten)),
            "change_counter": .integer(Int(report.changeCounter)),
        ]) {
            ["mirrored \(report.versions) versions to \(report.directory): "
                + "\(report.blobsWritten) blobs written (\(Format.bytes(report.bytesWritten))), "
                + "\(report.blobsKept) kept"]
        }
    }

    // MARK: - publish --to

    /// `publish FILE --to REMOTE [--sign KEYFILE]`: checks the file locally, signs it, and
    /// uploads it streamed from disk.
    static func publishToRemote(_ context: CommandContext, remote text: String) throws {
        let path = context.path(context.positional(0))
        let package = try context.readPackage(at: path)
        let signatures = try publishSignatures(for: package, context: context)
        let remote = try resolveRemote(text, context: context)
        let client = try remote.client()
        let size = Int64((try? FileManager.default.attributesOfItem(atPath: path)[.size]
            as? NSNumber)?.int64Value ?? 0)
        let progress = Progress(io: context.io, label: "upload")
        let start = Date()
        let answer: RegistryClient.PublishAnswer
        do {
            answer = try client.publish(file: path, signatures: signatures) { sent in
                progress.bytes(sent, of: size, since: start)
            }
            progress.finish()
        } catch {
            progress.finish()
            throw error
        }
        context.emit([
            "reference": .string(answer.reference),
            "digest": .string(answer.digest.description),
            "new": .bool(!answer.alreadyPresent),
            "remote": .string(remote.location.description),
            "signatures": .strings(signatures.map(\.keyID)),
        ]) {
            let state = answer.alreadyPresent ? "already present" : "new"
            var lines = ["\(answer.reference)  \(answer.digest)  \(state) on \(remote.location)"]
            for signature in signatures {
                lines.append("signed by \(signature.keyID)")
            }
            return lines
        }
    }
}
