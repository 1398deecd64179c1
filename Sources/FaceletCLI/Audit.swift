import FaceletImaging
import FaceletModel
import FaceletPackage
import FaceletStore
import Foundation

/// The work behind `audit`: heat maps computed on photos, or read back from the thumbnails
/// stored at publish time, and the comparison of two versions.
enum Audit {
    /// A photo to audit on: a short name for file names, its path and pixels.
    struct Photo {
        let name: String
        let path: String
        let image: RGBImage
    }

    /// `--image PHOTO`, else (only with --against) the config's reference photos.
    static func photos(context: CommandContext) throws -> [Photo] {
        if let text = context.arguments.value("image") {
            let image = try context.readPhoto(text)
            let stem = ((text as NSString).lastPathComponent as NSString).deletingPathExtension
            let safe = String(stem.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" })
            return [Photo(name: safe.isEmpty ? "photo" : safe, path: context.path(text),
                          image: image)]
        }
        guard context.arguments.value("against") != nil else { return [] }
        return try context.config.referencePhotos.map { reference in
            Photo(name: reference.name, path: reference.path,
                  image: try ImageCodec.decode(contentsOf: URL(fileURLWithPath: reference.path),
                                               limits: AuditImages.limits))
        }
    }

    /// Makes the output folder (and its parents) if needed.
    static func prepareFolder(_ path: String) throws -> String {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
            guard isFolder.boolValue else {
                throw CLIError.user("io", "-o \(path) is a file; give a folder")
            }
            return path
        }
        do {
            try FileManager.default.createDirectory(atPath: path,
                                                    withIntermediateDirectories: true)
        } catch {
            throw CLIError.user("io", "cannot make folder \(path): \(error.localizedDescription)")
        }
        return path
    }

    // MARK: - Stored thumbnails

    /// Prints the statistics stored with the version's thumbnails and copies the PNGs.
    static func reportStored(record: VersionRecord, store: Store, folder: String?,
                             context: CommandContext) throws {
        let detail = try store.show(.init(name: record.name, selector: .version(record.version)))
        guard !detail.thumbnails.isEmpty else {
            throw CLIError.user("no-thumbnails",
                                "\(record.reference) has no stored thumbnails (it was published "
                                    + "without reference photos); give --image PHOTO")
        }
        var files: [String] = []
        var photos: [JSONValue] = []
        var lines: [String] = []
        let names = Array(Set(detail.thumbnails.map(\.reference))).sorted()
        for name in names {
            let thumbnails = detail.thumbnails.filter { $0.reference == name }
            let combined = thumbnails.first { $0.level == "combined" }
            let statistics = combined.flatMap { AuditStatistics(storedJSON: $0.statsJSON) }
            if let folder {
                for thumbnail in thumbnails {
                    let path = (folder as NSString)
                        .appendingPathComponent("\(name)-\(thumbnail.level).png")
                    try context.writeAtomically(try store.thumbnailData(thumbnail.digest),
                                                to: path)
                    files.append(path)
                }
            }
            photos.append(["photo": .string(name),
                           "levels": statistics?.json.objectValue?["levels"] ?? .array([])])
            lines.append("\(record.reference) on reference photo '\(name)' (stored at publish):")
            lines += (statistics?.tableLines ?? ["(no statistics stored)"]).map { "  " + $0 }
        }
        context.emit(["reference": .string(record.reference),
                      "digest": .string(record.digest.description), "source": .string("stored"),
                      "photos": .array(photos), "files": .strings(files)]) {
            lines + (folder.map { ["wrote \(files.count) files to \($0)"] } ?? [])
        }
    }

    // MARK: - Computed maps

    /// Computes the maps of `record` (and `against`) on each photo, prints and writes them.
    static func reportComputed(record: VersionRecord, against: VersionRecord?, photos: [Photo],
                               store: Store, folder: String?, context: CommandContext) throws {
        let progress = Progress(io: context.io, label: "audit")
        defer { progress.finish() }
        let model = try EditingModel.load(.init(name: record.name,
                                                selector: .version(record.version)),
                                          from: store, progress: progress)
        let bank = try model.requireBank(for: "audit")
        let otherModel = try against.map { other in
            try EditingModel.load(.init(name: other.name, selector: .version(other.version)),
                                  from: store, progress: progress)
        }
        let otherBank = try otherModel?.requireBank(for: "audit --against")

        var files: [String] = []
        var results: [JSONValue] = []
        var lines: [String] = []
        for photo in photos {
            progress.step("heat maps on \(photo.name)")
            let heat = try heatMap(model: model, bank: bank, photo: photo.image)
            let statistics = AuditStatistics(heat: heat)
            var entry: [String: JSONValue] = [
                "photo": .string(photo.name), "path": .string(photo.path),
                "width": .integer(photo.image.width), "height": .integer(photo.image.height),
                "levels": statistics.json.objectValue?["levels"] ?? .array([]),
            ]
            lines.append("\(record.reference) on \(photo.name) "
                + "(\(photo.image.width)x\(photo.image.height)):")
            lines += statistics.tableLines.map { "  " + $0 }
            if let folder {
                files += try writeOverlays(heat, photo: photo, prefix: photo.name, folder: folder,
                                           context: context)
            }
            if let otherModel, let otherBank, let against {
                let otherHeat = try heatMap(model: otherModel, bank: otherBank,
                                            photo: photo.image)
                let comparison = Comparison(heat, otherHeat)
                entry["against"] = [
                    "reference": .string(against.reference),
                    "digest": .string(against.digest.description),
                    "levels": AuditStatistics(heat: otherHeat).json.objectValue?["levels"]
                        ?? .array([]),
                    "comparison": comparison.json,
                ]
                lines.append("against \(against.reference):")
                lines += comparison.lines(record.reference, against.reference).map { "  " + $0 }
                if let folder {
                    files += try writeOverlays(otherHeat, photo: photo,
                                               prefix: "\(photo.name)-against", folder: folder,
                                               context: context)
                    let difference = Overlay.blend(
                        photo: photo.image, heat: comparison.normalisedDifference,
                        planeWidth: heat.width, planeHeight: heat.height)
                    let path = (folder as NSString)
                        .appendingPathComponent("\(photo.name)-difference.png")
                    try context.writeAtomically(try ImageCodec.encodePNG(difference), to: path)
                    files.append(path)
                }
            }
            results.append(.object(entry))
        }
        let json: JSONValue = [
            "reference": .string(record.reference),
            "digest": .string(record.digest.description), "source": .string("computed"),
            "photos": .array(results), "files": .strings(files),
        ]
        if let folder {
            let path = (folder as NSString).appendingPathComponent("stats.json")
            try context.writeAtomically(Data((json.text + "\n").utf8), to: path)
        }
        progress.finish()
        context.emit(json) {
            lines + (folder.map { ["wrote \(files.count) files and stats.json to \($0)"] } ?? [])
        }
    }

    private static func heatMap(model: EditingModel, bank: FaceletBank,
                                photo: RGBImage) throws -> HeatMap {
        let session = try Editor(backbone: model.backbone).prepare(photo, bank: bank)
        return HeatMap(session: session)
    }

    /// Writes `<prefix>-<level>.png` per level and `<prefix>-combined.png`.
    private static func writeOverlays(_ heat: HeatMap, photo: Photo, prefix: String,
                                      folder: String, context: CommandContext) throws -> [String] {
        var written: [String] = []
        let pngs = try heat.overlayPNGs(on: photo.image)
        for key in heat.levels.map(\.name) + ["combined"] {
            guard let data = pngs[key] else { continue }
            let path = (folder as NSString).appendingPathComponent("\(prefix)-\(key).png")
            try context.writeAtomically(data, to: path)
            written.append(path)
        }
        return written
    }
}

/// Two versions' maps on the same photo, compared.
struct Comparison {
    /// Per level: the Pearson correlation of the two maps (the second resized to the first's
    /// grid when they differ) and each version's share of the mass.
    struct Level {
        let name: String
        let correlation: Double?
        let massShareA: Double
        let massShareB: Double
    }

    let levels: [Level]
    /// Correlation of the two combined maps (photo size).
    let combinedCorrelation: Double?
    /// Mean of |combined A − combined B|.
    let combinedMeanAbsoluteDifference: Double
    /// |combined A − combined B| divided by its maximum, for the difference overlay.
    let normalisedDifference: [Float]

    init(_ a: HeatMap, _ b: HeatMap) {
        let statisticsA = AuditStatistics(heat: a)
        let statisticsB = AuditStatistics(heat: b)
        levels = a.levels.map { level in
            var correlation: Double?
            if let other = b.level(level.name) {
                let resized = other.width == level.width && other.height == level.height
                    ? other.values
                    : Resample.resizePlane(other.values, width: other.width,
                                           height: other.height, toWidth: level.width,
                                           toHeight: level.height)
                correlation = AuditImages.correlation(level.values, resized)
            }
            return Level(name: level.name, correlation: correlation,
                         massShareA: statisticsA.level(level.name)?.massShare ?? 0,
                         massShareB: statisticsB.level(level.name)?.massShare ?? 0)
        }
        combinedCorrelation = AuditImages.correlation(a.combined, b.combined)
        let difference = zip(a.combined, b.combined).map { abs($0 - $1) }
        combinedMeanAbsoluteDifference = difference.isEmpty ? 0
            : difference.reduce(0.0) { $0 + Double($1) } / Double(difference.count)
        let largest = difference.max() ?? 0
        normalisedDifference = largest > 0 ? difference.map { $0 / largest } : difference
    }

    var json: JSONValue {
        ["levels": .array(levels.map { (level) -> JSONValue in
            ["level": .string(level.name),
             "correlation": level.correlation.map(JSONValue.number) ?? .null,
             "mass_share": .number(level.massShareA),
             "against_mass_share": .number(level.massShareB)]
        }),
         "combined_correlation": combinedCorrelation.map(JSONValue.number) ?? .null,
         "combined_mean_abs_difference": .number(combinedMeanAbsoluteDifference)]
    }

    func lines(_ a: String, _ b: String) -> [String] {
        var table = TextTable()
        table.add("level", "correlation", "mass share \(a)", "mass share \(b)")
        for level in levels {
            table.add(level.name, level.correlation.map { Format.number($0, digits: 3) } ?? "-",
                      Format.number(level.massShareA, digits: 3),
                      Format.number(level.massShareB, digits: 3))
        }
        let correlation = combinedCorrelation.map { Format.number($0, digits: 3) } ?? "-"
        return table.lines + ["combined: correlation \(correlation), mean |difference| "
            + Format.number(combinedMeanAbsoluteDifference, digits: 3)]
    }
}
