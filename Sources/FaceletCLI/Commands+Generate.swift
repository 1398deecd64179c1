import FaceletModel
import FaceletPackage
import FaceletStore
import Foundation

extension FaceletCommandLine {
    /// The commands that make seeded random packages (for tests and for trying the tool).
    static let generatorCommands: [Command] = [
        Command(spec: CommandSpec(
            "new-backbone", summary: "write a backbone package with seeded random weights",
            options: [
                OptionSpec("width", value: "W",
                           help: "channel multiplier of VGG-19 (1 = full width; e.g. 0.0625)"),
                OptionSpec("seed", value: "S", help: "random seed (default 1)"),
                OptionSpec("output-mode", value: "MODE",
                           help: "difference (λ = 0 gives the photo back) or image (default)"),
                OptionSpec("name", value: "NAME", help: "package name (default random-backbone)"),
                OptionSpec("version", value: "V", help: "package version (default 1)"),
                OptionSpec("output", short: "o", value: "FILE", help: "the file to write"),
            ],
            discussion: """
                The weights are random (He-normal), not trained: the package says so in its \
                description and provenance. Useful for tests and for trying the tool.
                """),
                run: newBackbone),
        Command(spec: CommandSpec(
            "new-bank", summary: "write a bank package with seeded random weights",
            positionals: [PositionalSpec("NAME", help: "the bank's name (the effect)")],
            options: [
                OptionSpec("backbone", value: "REF",
                           help: "the backbone: a store reference or a package file"),
                OptionSpec("seed", value: "S", help: "random seed (default 1)"),
                OptionSpec("level-seed", value: "LEVEL=S",
                           help: "other seeds for some levels, e.g. relu4_1=7 (comma-separated)"),
                OptionSpec("levels", value: "LIST",
                           help: "levels the bank acts on: 3,4,5 or names (default all)"),
                OptionSpec("scale", value: "X",
                           help: "weight scale relative to He-normal (default 0.1)"),
                OptionSpec("version", value: "V", help: "package version (default 1)"),
                OptionSpec("description", value: "TEXT", help: "description to add"),
                OptionSpec("output", short: "o", value: "FILE", help: "the file to write"),
            ],
            discussion: """
                Each level's weights come from their own seed (derived from --seed and the \
                level's name), so two banks that differ only in one --level-seed differ only in \
                that level's tensors. The weights are random, not trained: the package says so.
                """),
                run: newBank),
    ]

    // MARK: - new-backbone

    @Sendable static func newBackbone(_ context: CommandContext) throws {
        let arguments = context.arguments
        guard let output = arguments.value("output") else {
            throw CLIError.usage("new-backbone needs -o FILE")
        }
        guard let widthText = arguments.value("width") else {
            throw CLIError.usage("new-backbone needs --width W (e.g. 0.0625 for a narrow test net)")
        }
        guard let width = Double(widthText), width.isFinite, width > 0, width <= 4 else {
            throw CLIError.usage("--width must be a number in (0, 4], got '\(widthText)'")
        }
        let seed = try Generate.seed(arguments.value("seed"))
        let mode: OutputMode
        switch arguments.value("output-mode") ?? "image" {
        case "image": mode = .image
        case "difference": mode = .difference
        case "affine-difference": mode = .affineDifference
        case let other:
            throw CLIError.usage("--output-mode must be image, difference or affine-difference, "
                                 + "got '\(other)'")
        }
        let name = arguments.value("name") ?? "random-backbone"
        let version = arguments.value("version") ?? "1"
        let path = context.path(output)

        let progress = Progress(io: context.io, label: "new-backbone")
        defer { progress.finish() }
        progress.step("drawing weights")
        let architecture = Architecture.vgg19(width: width, output: mode)
        let drawn = try RandomWeights.backbone(architecture, seed: seed, name: name,
                                               version: version)
        var manifest = drawn.package.manifest
        manifest.description = "Random backbone (VGG-19 at width \(Format.number(width)), "
            + "seed \(seed)): untrained weights for tests and demos; edits are not meaningful."
        manifest.strength = Generate.strength(context.config)
        manifest.provenance = Generate.provenance(seed: seed, command: "new-backbone")
        manifest.provenance["width"] = Format.number(width)
        progress.step("encoding")
        let (data, package) = try PackageWriter.encode(manifest, tensors: drawn.package.tensors)
        try context.writeAtomically(data, to: path)
        Generate.report(package, data: data, path: path, seed: seed, context: context)
    }

    // MARK: - new-bank

    @Sendable static func newBank(_ context: CommandContext) throws {
        let arguments = context.arguments
        guard let output = arguments.value("output") else {
            throw CLIError.usage("new-bank needs -o FILE")
        }
        guard let backboneText = arguments.value("backbone") else {
            throw CLIError.usage("new-bank needs --backbone REF (a store reference or a file)")
        }
        let seed = try Generate.seed(arguments.value("seed"))
        var scale = 0.1
        if let text = arguments.value("scale") {
            guard let value = Double(text), value.isFinite, value >= 0, value <= 100 else {
                throw CLIError.usage("--scale must be a number in [0, 100], got '\(text)'")
            }
            scale = value
        }
        let name = context.positional(0)
        let version = arguments.value("version") ?? "1"
        let path = context.path(output)

        let backbonePackage = try Generate.backbonePackage(backboneText, context: context)
        let backbone = try Backbone(package: backbonePackage)
        let levels = try Generate.levels(arguments.value("levels"), backbone: backbone)
        let levelSeeds = try Generate.levelSeeds(arguments.value("level-seed"), levels: levels)

        var tensors: [PackageTensor] = []
        var provenance = Generate.provenance(seed: seed, command: "new-bank")
        provenance["scale"] = Format.number(scale)
        for level in levels {
            let levelSeed = levelSeeds[level] ?? Generate.derivedSeed(seed, level: level)
            if let custom = levelSeeds[level] { provenance["seed.\(level)"] = String(custom) }
            let drawn = try RandomWeights.bank(for: backbone, levels: [level], seed: levelSeed,
                                               scale: scale)
            tensors += drawn.package.tensors
        }
        var description = "Random bank (seed \(seed)): untrained weights for tests and demos; "
            + "its edits are not a real effect."
        if let extra = arguments.value("description") { description = extra + " " + description }
        let manifest = Manifest(kind: .bank, name: name, version: version,
                                description: description, backbone: backbone.contentDigest,
                                levels: levels, strength: Generate.strength(context.config),
                                bank: BankDescription(padding: [.reflect, .zero, .reflect]),
                                provenance: provenance)
        let (data, package) = try PackageWriter.encode(manifest, tensors: tensors)
        try context.writeAtomically(data, to: path)
        Generate.report(package, data: data, path: path, seed: seed, context: context)
    }
}

/// Helpers of the generator commands.
enum Generate {
    static func seed(_ text: String?) throws -> UInt64 {
        guard let text else { return 1 }
        guard let value = UInt64(text) else {
            throw CLIError.usage("--seed must be a whole number >= 0, got '\(text)'")
        }
        return value
    }

    /// The seed of one level: the base seed mixed with the level's name (SplitMix64 finaliser
    /// over an FNV-1a hash), so levels are independent and stable across runs.
    static func derivedSeed(_ seed: UInt64, level: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in level.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        var z = seed &+ hash &* 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    static func strength(_ config: RegistryConfig) -> StrengthRange {
        StrengthRange(default: config.strength.default, min: config.strength.min,
                      max: config.strength.max)
    }

    static func provenance(seed: UInt64, command: String) -> [String: String] {
        ["method": "random", "seed": String(seed), "generator": "facelet-registry \(command)",
         "trained": "no"]
    }

    /// `--backbone REF`: a package file when one exists at that path, else a store reference.
    static func backbonePackage(_ text: String, context: CommandContext) throws -> Package {
        let path = context.path(text)
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder),
           !isFolder.boolValue {
            return try context.readPackage(at: path)
        }
        let store = try context.openStore()
        return try store.loadPackage(context.reference(text))
    }

    static func levels(_ text: String?, backbone: Backbone) throws -> [String] {
        let all = backbone.levels.map(\.name)
        guard let text else { return all }
        var chosen = Set<String>()
        for part in text.split(separator: ",") {
            let item = part.trimmingCharacters(in: .whitespaces)
            let name = item.count == 1 && item.first?.isNumber == true ? "relu\(item)_1" : item
            guard all.contains(name) else {
                throw CLIError.user("bad-levels", "--levels: '\(item)' is not a level of the "
                    + "backbone (it has \(all.joined(separator: ", ")))")
            }
            chosen.insert(name)
        }
        guard !chosen.isEmpty else {
            throw CLIError.usage("--levels needs at least one level")
        }
        return all.filter(chosen.contains)
    }

    static func levelSeeds(_ text: String?, levels: [String]) throws -> [String: UInt64] {
        guard let text else { return [:] }
        var seeds: [String: UInt64] = [:]
        for part in text.split(separator: ",") {
            let pieces = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pieces.count == 2, let seed = UInt64(pieces[1]) else {
                throw CLIError.usage("--level-seed needs LEVEL=SEED pairs, got '\(part)'")
            }
            let item = pieces[0]
            let level = item.count == 1 && item.first?.isNumber == true ? "relu\(item)_1" : item
            guard levels.contains(level) else {
                throw CLIError.user("bad-levels", "--level-seed: '\(item)' is not one of the "
                    + "bank's levels (\(levels.joined(separator: ", ")))")
            }
            seeds[level] = seed
        }
        return seeds
    }

    static func report(_ package: Package, data: Data, path: String, seed: UInt64,
                       context: CommandContext) {
        let manifest = package.manifest
        context.emit([
            "path": .string(path), "name": .string(manifest.name),
            "version": .string(manifest.version), "kind": .string(manifest.kind.rawValue),
            "digest": .string(package.contentDigest.description), "bytes": .integer(data.count),
            "seed": .string(String(seed)),
        ]) {
            ["wrote \(path)  \(manifest.name):\(manifest.version)  \(package.contentDigest)  "
                + "\(Format.bytes(Int64(data.count)))  (random \(manifest.kind.rawValue), "
                + "seed \(seed))"]
        }
    }
}
