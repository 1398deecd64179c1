import FaceletImaging
import FaceletModel
import FaceletPackage
import FaceletStore
import Foundation

/// A stored version loaded for running: the backbone network, and the bank when the version
/// is a bank.
struct EditingModel {
    /// The version's catalogue record.
    let record: VersionRecord
    /// The version's manifest.
    let manifest: Manifest
    /// The backbone (the version itself, or the one a bank is bound to).
    let backbone: Backbone
    /// The bank; nil when the version is a backbone.
    let bank: FaceletBank?

    /// Loads `reference` and, for a bank, its backbone, from `store`.
    static func load(_ reference: Reference, from store: Store,
                     progress: Progress? = nil) throws -> EditingModel {
        let record = try store.resolve(reference)
        progress?.step("loading \(record.reference)")
        let package = try store.loadPackage(.init(name: record.name,
                                                  selector: .version(record.version)))
        switch package.manifest.kind {
        case .backbone:
            return EditingModel(record: record, manifest: package.manifest,
                                backbone: try Backbone(package: package), bank: nil)
        case .bank:
            let backbonePackage = try Thumbnails.backbonePackage(for: package.manifest, in: store)
            let backbone = try Backbone(package: backbonePackage)
            let bank = try FaceletBank(package: package, backbone: backbone)
            return EditingModel(record: record, manifest: package.manifest, backbone: backbone,
                                bank: bank)
        }
    }

    /// The bank, or a clear error naming what `command` needs.
    func requireBank(for command: String) throws -> FaceletBank {
        guard let bank else {
            throw CLIError.user("not-a-bank",
                                "\(record.reference) is a backbone; \(command) needs a facelet "
                                    + "bank (see 'facelet-registry list')")
        }
        return bank
    }

    /// Parses `--levels`: `3,4,5` or `relu3_1,relu4_1` (each must be one of the bank's levels).
    func levels(_ text: String?, bank: FaceletBank) throws -> Set<String>? {
        guard let text else { return nil }
        var chosen = Set<String>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = part.trimmingCharacters(in: .whitespaces)
            let name = item.count == 1 && item.first?.isNumber == true ? "relu\(item)_1" : item
            guard bank.levels.contains(name) else {
                let known = bank.levels.map { $0.dropFirst(4).prefix(1) }.joined(separator: ",")
                throw CLIError.user(
                    "bad-levels",
                    "--levels '\(text)': '\(item)' is not a level of \(record.reference) "
                        + "(it has \(bank.levels.joined(separator: ", ")); write e.g. \(known))")
            }
            chosen.insert(name)
        }
        return chosen
    }

    /// Parses `--strength` and checks it against the manifest's allowed range.
    func strength(_ text: String?) throws -> Double {
        let range = manifest.strength
        guard let text else { return range.default }
        guard let value = Double(text), value.isFinite else {
            throw CLIError.usage("--strength needs a number, got '\(text)'")
        }
        guard value >= range.min, value <= range.max else {
            throw CLIError.user(
                "strength-out-of-range",
                "strength \(Format.number(value)) is outside the range \(record.reference) "
                    + "allows: [\(Format.number(range.min)), \(Format.number(range.max))]")
        }
        return value
    }
}

extension CommandContext {
    /// Decodes a photo given on the command line (at least 2×2, at most 40 megapixels).
    func readPhoto(_ text: String) throws -> RGBImage {
        let path = path(text)
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError.user("file-not-found", "no such file: \(path)")
        }
        return try ImageCodec.decode(contentsOf: URL(fileURLWithPath: path),
                                     limits: AuditImages.limits)
    }

    /// Checks an output photo path before any work: a known extension, an existing folder.
    func checkPhotoOutput(_ text: String) throws -> String {
        let path = path(text)
        _ = try ImageFormat.forOutputPath(path)
        let folder = (path as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder),
              isFolder.boolValue else {
            throw CLIError.user("io", "cannot write \(path): folder \(folder) does not exist")
        }
        return path
    }
}
