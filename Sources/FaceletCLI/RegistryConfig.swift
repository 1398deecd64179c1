import Foundation

/// The registry's own settings, read from `registry.json` (see docs/configuration.md).
public struct RegistryConfig: Sendable, Equatable {
    /// A photo the store renders heat-map thumbnails for when a bank is published.
    public struct ReferencePhoto: Sendable, Equatable {
        /// A short name for the photo (`astronaut`), used in thumbnail names.
        public var name: String
        /// The absolute path of the photo (the file gives it relative to itself).
        public var path: String
    }

    /// A remote registry the store may talk to (used by the remote-registry work).
    public struct Remote: Sendable, Equatable {
        /// The remote's name (the key in `remotes`).
        public var name: String
        /// Its base URL.
        public var url: String
        /// The environment variable holding its bearer token (`token_env`); `nil` means
        /// the default, `FACELET_TOKEN`. The token itself is never stored here.
        public var tokenEnv: String?

        /// The environment variable to read this remote's token from.
        public var tokenVariable: String { tokenEnv ?? "FACELET_TOKEN" }
    }

    /// Policies for remote registries.
    public struct Policy: Sendable, Equatable {
        /// `policy.require_signature`: pull refuses a version without a verifying signature
        /// by a trusted key (`remote.unsigned`, `remote.bad_signature`).
        public var requireSignature: Bool
    }

    /// Strength λ settings written into packages made by `new-bank` and `new-backbone`.
    public struct StrengthDefaults: Sendable, Equatable {
        /// The default λ.
        public var `default`: Double
        /// The smallest allowed λ.
        public var min: Double
        /// The largest allowed λ.
        public var max: Double
    }

    /// The store folder from the file (`~` allowed), used when neither `--store` nor
    /// `$FACELET_HOME` is given.
    public var store: String?
    /// Photos for thumbnails at publish time.
    public var referencePhotos: [ReferencePhoto]
    /// The long side of thumbnails in pixels.
    public var thumbnailSize: Int
    /// Strength settings for generated packages.
    public var strength: StrengthDefaults
    /// Known remotes by name.
    public var remotes: [Remote]
    /// `signing_key`: the private key file `publish` signs with when `--sign` is not given.
    /// As written in the file, except that a relative path is made absolute against the
    /// file's folder; a leading `~` is kept (expand it with the command's environment).
    public var signingKey: String?
    /// The remote-registry policy.
    public var policy: Policy
    /// The file the settings came from, or `nil` for the built-in defaults.
    public var sourcePath: String?

    /// The built-in defaults: no reference photos (so no thumbnails), 128-px thumbnails,
    /// λ default 1 in [-1, 2], no remotes, no signing key, signatures not required.
    public static let builtIn = RegistryConfig(
        store: nil, referencePhotos: [], thumbnailSize: 128,
        strength: StrengthDefaults(default: 1, min: -1, max: 2), remotes: [], signingKey: nil,
        policy: Policy(requireSignature: false), sourcePath: nil)

    /// Reads and checks a registry.json file. Relative photo paths are resolved against the
    /// file's folder.
    public static func load(path: String) throws(CLIError) -> RegistryConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .user("config-unreadable", "cannot read config file \(path)")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw .user("config-invalid", "config file \(path) is not valid JSON")
        }
        guard let root = object as? [String: Any] else {
            throw .user("config-invalid", "config file \(path) must hold a JSON object")
        }
        return try parse(root, path: path)
    }

    private static let knownKeys: Set<String> = [
        "store", "reference_photos", "thumbnail_size", "strength", "remotes", "signing_key",
        "policy", "$comment",
    ]

    private static func parse(_ root: [String: Any], path: String) throws(CLIError)
        -> RegistryConfig {
        func bad(_ what: String) -> CLIError {
            .user("config-invalid", "config file \(path): \(what)")
        }
        if let unknown = root.keys.sorted().first(where: { !knownKeys.contains($0) }) {
            throw bad("unknown key '\(unknown)' (see docs/configuration.md)")
        }
        var config = RegistryConfig.builtIn
        config.sourcePath = path
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()

        if let store = root["store"] {
            guard let text = store as? String, !text.isEmpty else {
                throw bad("'store' must be a non-empty string")
            }
            config.store = text
        }
        if let photos = root["reference_photos"] {
            guard let list = photos as? [[String: Any]] else {
                throw bad("'reference_photos' must be a list of {\"name\", \"path\"} objects")
            }
            config.referencePhotos = []
            for entry in list {
                guard let name = entry["name"] as? String, let relative = entry["path"] as? String,
                      isPhotoName(name) else {
                    throw bad("each reference photo needs a 'name' (a-z 0-9 - _) and a 'path'")
                }
                let absolute = relative.hasPrefix("/")
                    ? relative : folder.appendingPathComponent(relative).standardizedFileURL.path
                config.referencePhotos.append(ReferencePhoto(name: name, path: absolute))
            }
        }
        if let size = root["thumbnail_size"] {
            guard let number = size as? NSNumber, let value = Int(exactly: number.doubleValue),
                  (16...1024).contains(value) else {
                throw bad("'thumbnail_size' must be a whole number of pixels from 16 to 1024")
            }
            config.thumbnailSize = value
        }
        if let strength = root["strength"] {
            guard let object = strength as? [String: Any],
                  let def = (object["default"] as? NSNumber)?.doubleValue,
                  let min = (object["min"] as? NSNumber)?.doubleValue,
                  let max = (object["max"] as? NSNumber)?.doubleValue,
                  min.isFinite, max.isFinite, def.isFinite, min <= def, def <= max else {
                throw bad("'strength' must be {\"default\", \"min\", \"max\"} "
                    + "with min <= default <= max")
            }
            config.strength = StrengthDefaults(default: def, min: min, max: max)
        }
        if let remotes = root["remotes"] {
            guard let object = remotes as? [String: Any] else {
                throw bad("'remotes' must be an object of name -> {\"url\": ...}")
            }
            config.remotes = []
            for name in object.keys.sorted() {
                guard let entry = object[name] as? [String: Any],
                      let url = entry["url"] as? String else {
                    throw bad("remote '\(name)' needs a 'url' string")
                }
                var tokenEnv: String?
                if let value = entry["token_env"] {
                    guard let text = value as? String, isEnvironmentName(text) else {
                        throw bad("remote '\(name)': 'token_env' must name an environment "
                            + "variable (A-Z a-z 0-9 _, not starting with a digit)")
                    }
                    tokenEnv = text
                }
                config.remotes.append(Remote(name: name, url: url, tokenEnv: tokenEnv))
            }
        }
        if let key = root["signing_key"] {
            guard let text = key as? String, !text.isEmpty, !text.contains("\u{0}") else {
                throw bad("'signing_key' must be the path of a private key file")
            }
            let keepAsIs = text.hasPrefix("/") || text == "~" || text.hasPrefix("~/")
            config.signingKey = keepAsIs
                ? text : folder.appendingPathComponent(text).standardizedFileURL.path
        }
        if let policy = root["policy"] {
            guard let object = policy as? [String: Any] else {
                throw bad("'policy' must be an object such as {\"require_signature\": true}")
            }
            if let unknown = object.keys.sorted().first(where: { $0 != "require_signature" }) {
                throw bad("unknown key 'policy.\(unknown)' (see docs/configuration.md)")
            }
            if let value = object["require_signature"] {
                // JSONSerialization gives NSNumber for booleans and numbers alike (and `is Bool`
                // holds for both); a JSON true/false is the one whose type encoding is "c".
                guard let number = value as? NSNumber,
                      String(cString: number.objCType) == "c" else {
                    throw bad("'policy.require_signature' must be true or false")
                }
                config.policy.requireSignature = number.boolValue
            }
        }
        return config
    }

    /// A POSIX-style environment variable name: `[A-Za-z_][A-Za-z0-9_]*`, at most 128 bytes.
    private static func isEnvironmentName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.utf8.count <= 128,
              first == "_" || (first.isASCII && first.properties.isAlphabetic) else {
            return false
        }
        return text.unicodeScalars.allSatisfy {
            $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)))
        }
    }

    private static func isPhotoName(_ name: String) -> Bool {
        guard !name.isEmpty, name.count <= 64, let first = name.first,
              first.isASCII, first.isLetter || first.isNumber else { return false }
        return name.allSatisfy { char in
            char.isASCII && (char.isLowercase || char.isNumber || char == "-" || char == "_")
        }
    }
}
