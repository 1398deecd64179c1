import FaceletImaging
import FaceletPackage
import Foundation

/// A folder of photos loaded for training, with a content digest for provenance.
///
/// Each photo is decoded once and kept reduced so that its shorter side is at most
/// `workingSide` pixels (the aspect ratio is kept; small photos are not enlarged). Memory is
/// therefore bounded by `3 × 4 bytes × workingSide² × aspect` per photo (about 1 MB per photo at
/// the default 256), whatever the files' own resolution. Training samples are crops of these
/// reduced photos, generated on demand from a seed (see `sample(_:options:seed:)`), so a
/// training set of crops never has to be held in memory at once.
public struct PhotoSet: Sendable {
    /// One photo of the set.
    public struct Photo: Sendable {
        /// The file name inside the folder (or a caller's label for in-memory photos).
        public var name: String
        /// The SHA-256 of the file's bytes.
        public var digest: Digest
        /// The decoded photo, reduced to the set's working size; planar RGB in [0, 1].
        public var image: RGBImage

        /// Makes a photo entry.
        public init(name: String, digest: Digest, image: RGBImage) {
            self.name = name
            self.digest = digest
            self.image = image
        }
    }

    /// The photos, sorted by name.
    public let photos: [Photo]
    /// The digest of the set: SHA-256 over the sorted hex digests of the files, one per line.
    /// It depends only on the files' contents, not on their names or the order of listing.
    public let digest: Digest
    /// One line per file that was skipped (not a PNG or JPEG), for the caller to show.
    public let warnings: [String]

    /// The number of photos.
    public var count: Int { photos.count }

    /// Makes a set from photos already in memory.
    ///
    /// - Precondition: `photos` is not empty.
    public init(photos: [Photo], warnings: [String] = []) {
        precondition(!photos.isEmpty, "A PhotoSet needs at least one photo")
        self.photos = photos.sorted { $0.name < $1.name }
        self.digest = PhotoSet.setDigest(photos.map(\.digest))
        self.warnings = warnings
    }

    /// The digest of a set with these file digests (order does not matter).
    public static func setDigest(_ digests: [Digest]) -> Digest {
        let text = "facelet-photo-set-v1\n" + digests.map(\.hex).sorted()
            .map { $0 + "\n" }.joined()
        return Digest.sha256(Data(text.utf8))
    }

    /// Loads every PNG and JPEG photo of a folder (not its subfolders).
    ///
    /// Files are recognised by their first bytes, not their extension. Hidden files are
    /// ignored; other files that are not PNG or JPEG are skipped with a line in `warnings`
    /// (also passed to `warn` as they are met). A file that looks like a PNG or JPEG but cannot
    /// be decoded is an error naming every such file, unless `skipUnreadable` is set, in which
    /// case it is skipped with a warning.
    ///
    /// - Parameters:
    ///   - folder: the folder to read.
    ///   - workingSide: each photo's shorter side is reduced to at most this many pixels.
    ///   - skipUnreadable: skip undecodable photos instead of failing.
    ///   - warn: called with each warning line as it is met.
    /// - Throws: `TrainingError` with code `folder-unreadable`, `empty-photo-set` (no photo in
    ///   the folder) or `unreadable-photo`.
    public static func load(folder: URL, workingSide: Int = 256, skipUnreadable: Bool = false,
                            warn: (String) -> Void = { _ in }) throws(TrainingError) -> PhotoSet {
        guard workingSide >= 8 else {
            throw TrainingError(.invalidOption, "The working side must be at least 8 pixels, "
                                    + "got \(workingSide)")
        }
        let names = try listFiles(folder)
        var photos: [Photo] = []
        var warnings: [String] = []
        var unreadable: [String] = []
        for name in names {
            let url = folder.appendingPathComponent(name)
            guard let data = try? Data(contentsOf: url) else {
                unreadable.append("\(name): cannot be read")
                continue
            }
            guard looksLikePhoto(data) else {
                let line = "skipping \(name): not a PNG or JPEG file"
                warnings.append(line)
                warn(line)
                continue
            }
            do {
                let image = try ImageCodec.decode(data)
                let reduced = CropResampler.reduce(image, maxShortSide: workingSide)
                photos.append(Photo(name: name, digest: Digest.sha256(data), image: reduced))
            } catch {
                unreadable.append("\(name): \(error)")
            }
        }
        if !unreadable.isEmpty {
            if !skipUnreadable {
                throw TrainingError(.unreadablePhoto, "\(unreadable.count) photo(s) could not "
                    + "be decoded: " + unreadable.joined(separator: "; ")
                    + ". Remove or replace them, or skip them (--skip-unreadable)",
                    path: folder.path)
            }
            for entry in unreadable {
                let line = "skipping \(entry)"
                warnings.append(line)
                warn(line)
            }
        }
        guard !photos.isEmpty else {
            throw TrainingError(.emptyPhotoSet, "The folder holds no PNG or JPEG photo; "
                                    + "put the training photos directly in it",
                                path: folder.path)
        }
        return PhotoSet(photos: photos, warnings: warnings)
    }

    private static func listFiles(_ folder: URL) throws(TrainingError) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory),
              isDirectory.boolValue else {
            throw TrainingError(.folderUnreadable, "The photo folder does not exist or is not a "
                                    + "folder", path: folder.path)
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        } catch {
            throw TrainingError(.folderUnreadable, "The photo folder cannot be listed: \(error)",
                                path: folder.path)
        }
        return names.filter { name in
            guard !name.hasPrefix(".") else { return false }
            var isDir: ObjCBool = false
            let path = folder.appendingPathComponent(name).path
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
                && !isDir.boolValue
        }.sorted()
    }

    /// Whether the bytes start like a PNG or a JPEG file.
    static func looksLikePhoto(_ data: Data) -> Bool {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF]
        return data.starts(with: png) || data.starts(with: jpeg)
    }

    /// The set split in two: the first `count - heldOut` photos (by name) and the rest.
    ///
    /// - Precondition: `0 < heldOut < count`.
    public func split(heldOut: Int) -> (training: PhotoSet, heldOut: PhotoSet) {
        precondition(heldOut > 0 && heldOut < photos.count,
                     "Cannot hold out \(heldOut) of \(photos.count) photos")
        let cut = photos.count - heldOut
        return (PhotoSet(photos: Array(photos[..<cut])), PhotoSet(photos: Array(photos[cut...])))
    }
}
