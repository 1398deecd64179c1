import FaceletImaging
import FaceletModel
import FaceletPackage
import FaceletStore
import Foundation

/// Heat-map thumbnails rendered at publish time: for each reference photo in registry.json,
/// the bank's attention map (Eq. 8) per level and combined, laid over the photo, scaled to
/// `thumbnail_size`, with the level's statistics as JSON.
enum Thumbnails {
    /// The backbone a bank is bound to, from the store, or a clear error when it is missing.
    static func backbonePackage(for manifest: Manifest, in store: Store) throws -> Package {
        guard let digest = manifest.backbone else {
            throw CLIError.user("package.bad_manifest",
                                "\(manifest.name):\(manifest.version) is a bank without a backbone")
        }
        // A Result instead of do/catch: a typed-throws catch clause with a `where` guard here
        // crashed the Swift 6.3.1 compiler (MandatoryAllocBoxToStack).
        let loaded = Result { () throws(StoreError) -> Package in
            try store.loadPackage(digest: digest)
        }
        switch loaded {
        case .success(let package):
            return package
        case .failure(let error) where error.code == .notFound:
            throw CLIError.user(
                StoreError.Code.backboneMissing.rawValue,
                "\(manifest.name):\(manifest.version) was made for backbone \(digest), which is "
                    + "not in the store; publish that backbone first")
        case .failure(let error):
            throw error
        }
    }

    /// Renders the thumbnails of `bank` for every reference photo of the config. With the
    /// built-in config (no registry.json) there are no photos: a one-line note says so.
    static func render(bank: Package, backbone: Package,
                       context: CommandContext) throws -> [ThumbnailInput] {
        let photos = context.config.referencePhotos
        guard !photos.isEmpty else {
            let why = context.config.sourcePath == nil
                ? "no registry.json in use (built-in defaults)"
                : "no reference_photos in \(context.config.sourcePath ?? "")"
            context.note("thumbnails skipped: \(why)")
            return []
        }
        let model = try Backbone(package: backbone)
        let facelet = try FaceletBank(package: bank, backbone: model)
        let editor = Editor(backbone: model)
        let progress = Progress(io: context.io, label: "thumbnails")
        defer { progress.finish() }

        var inputs: [ThumbnailInput] = []
        for (index, photo) in photos.enumerated() {
            progress.update(index, of: photos.count, detail: photo.name)
            let image = try referencePhoto(photo, config: context.config)
            let session = try editor.prepare(image, bank: facelet)
            let heat = HeatMap(session: session)
            let statistics = AuditStatistics(heat: heat)
            let size = context.config.thumbnailSize
            for level in heat.levels {
                let overlay = heat.overlay(level: level.name, on: image)
                inputs.append(ThumbnailInput(
                    reference: photo.name, level: level.name,
                    png: try ImageCodec.encodePNG(AuditImages.scaled(overlay, longSide: size)),
                    statsJSON: statistics.level(level.name)?.json.text ?? "{}"))
            }
            let combined = heat.overlayCombined(on: image)
            inputs.append(ThumbnailInput(
                reference: photo.name, level: "combined",
                png: try ImageCodec.encodePNG(AuditImages.scaled(combined, longSide: size)),
                statsJSON: statistics.json.text))
        }
        progress.update(photos.count, of: photos.count)
        return inputs
    }

    /// Decodes a reference photo; a failure names the config file to fix.
    static func referencePhoto(_ photo: RegistryConfig.ReferencePhoto,
                               config: RegistryConfig) throws -> RGBImage {
        let result = Result { () throws(ImageError) -> RGBImage in
            try ImageCodec.decode(contentsOf: URL(fileURLWithPath: photo.path),
                                  limits: AuditImages.limits)
        }
        switch result {
        case .success(let image):
            return image
        case .failure(let error):
            throw CLIError.user("config-photo",
                                "reference photo '\(photo.name)' (\(photo.path)): "
                                    + "\(error.message); fix reference_photos in "
                                    + "\(config.sourcePath ?? "registry.json")")
        }
    }
}
