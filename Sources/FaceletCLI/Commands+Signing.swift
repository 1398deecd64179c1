import FaceletPackage
import FaceletStore
import Foundation

extension FaceletCommandLine {
    /// The commands that make keys and manage which keys the store trusts.
    static let signingCommands: [Command] = [
        Command(spec: CommandSpec(
            "keygen", summary: "make an Ed25519 key pair for signing packages",
            positionals: [PositionalSpec("NAME", help: "the key's file name, without extension")],
            options: [OptionSpec("output", short: "o", value: "DIR",
                                 help: "the folder for the files (default: the working folder)")],
            discussion: """
                Writes NAME.key (the private key, PEM PKCS#8, mode 0600: keep it secret) and \
                NAME.pub (the public key, PEM SubjectPublicKeyInfo: give it to the people \
                who run `trust`). Never overwrites a file. Sign with `publish FILE --sign \
                NAME.key`, or name the key as signing_key in registry.json.
                """),
                run: keygen),
        Command(spec: CommandSpec(
            "trust", summary: "trust a public key's signatures, list or remove trusted keys",
            positionals: [PositionalSpec("KEYFILE", optional: true,
                                         help: "a public key file (NAME.pub from keygen)")],
            options: [
                OptionSpec("label", value: "L", help: "a name for the key, shown by --list"),
                OptionSpec("list", help: "list the trusted keys"),
                OptionSpec("remove", value: "KEY_ID", help: "stop trusting the key KEY_ID"),
            ],
            discussion: """
                With policy.require_signature set in registry.json, pull accepts only \
                versions signed by a trusted key. Trusting a key again only updates its \
                label. Removing a key keeps the signatures it made but they no longer count.
                """),
                run: trust),
    ]

    // MARK: - keygen

    @Sendable static func keygen(_ context: CommandContext) throws {
        let name = context.positional(0)
        guard isKeyName(name) else {
            throw CLIError.user("keygen.bad_name",
                                "key name '\(CLIError.oneLine(String(name.prefix(80))))' must be "
                                    + "1-64 characters from A-Z a-z 0-9 . - _, starting with a "
                                    + "letter or digit")
        }
        let folder = context.path(context.arguments.value("output") ?? ".")
        var isFolder: ObjCBool = false
        if !FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) {
            do {
                try FileManager.default.createDirectory(
                    atPath: folder, withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700])
            } catch {
                throw CLIError.user("io", "cannot create folder \(folder): "
                                        + error.localizedDescription)
            }
        } else if !isFolder.boolValue {
            throw CLIError.user("io", "\(folder) is not a folder")
        }
        let privatePath = (folder as NSString).appendingPathComponent(name + ".key")
        let publicPath = (folder as NSString).appendingPathComponent(name + ".pub")
        // Check both first, so a refusal leaves neither file half made.
        for path in [privatePath, publicPath] where FileManager.default.fileExists(atPath: path) {
            throw SignatureError(.fileExists,
                                 "\(path) already exists; keys are never overwritten (choose "
                                     + "another NAME or -o DIR)",
                                 context: ["file.path": path])
        }
        let key = try SigningKey.generate()
        try key.write(to: privatePath)
        do {
            try key.publicKey.write(to: publicPath)
        } catch {
            try? FileManager.default.removeItem(atPath: privatePath)
            throw error
        }
        context.emit(["key_id": .string(key.publicKey.keyID.text),
                      "private_key": .string(privatePath), "public_key": .string(publicPath)]) {
            ["key \(key.publicKey.keyID)",
             "private key: \(privatePath)  (keep it secret)",
             "public key:  \(publicPath)  (others run: facelet-registry trust \(name).pub)"]
        }
    }

    /// Key names become file names: no `/`, no leading dot, nothing exotic.
    static func isKeyName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.utf8.count <= 64,
              first.isASCII, first.properties.isAlphabetic || ("0"..."9").contains(first)
        else { return false }
        return name.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                || scalar == "." || scalar == "-" || scalar == "_")
        }
    }

    // MARK: - trust

    @Sendable static func trust(_ context: CommandContext) throws {
        let keyFile = context.arguments.positionals.first
        let list = context.arguments.flag("list")
        let remove = context.arguments.value("remove")
        let modes = [keyFile != nil, list, remove != nil].filter { $0 }.count
        guard modes == 1 else {
            throw CLIError.usage("trust takes one of KEYFILE, --list or --remove KEY_ID "
                                     + "(usage: facelet-registry trust KEYFILE [--label L])")
        }
        if context.arguments.value("label") != nil, keyFile == nil {
            throw CLIError.usage("trust: --label goes with KEYFILE")
        }
        let store = try context.openStore()
        if list {
            try listTrustedKeys(store, context: context)
        } else if let remove {
            let keyID = try KeyID(parsing: remove)
            try store.untrust(keyID)
            context.emit(["removed": .string(keyID.text)]) {
                ["no longer trusted: \(keyID)"]
            }
        } else if let keyFile {
            let path = context.path(keyFile)
            let key = try readPublicKey(path)
            let label = context.arguments.value("label")
            let added = try store.trust(key, label: label)
            context.emit(["key_id": .string(key.keyID.text), "label": .optional(label),
                          "added": .bool(added)]) {
                [(added ? "trusted " : "already trusted ") + key.keyID.text
                    + (label.map { "  (\($0))" } ?? "")]
            }
        }
    }

    /// Reads a public key file; a private key file is refused with a pointer to the `.pub`.
    private static func readPublicKey(_ path: String) throws -> PublicKey {
        do {
            return try PublicKey(contentsOf: path)
        } catch {
            if error.code == .badPEM, (try? SigningKey(contentsOf: path)) != nil {
                throw SignatureError(.badPEM,
                                     "\(path) is a private key; trust the public key file "
                                         + "(NAME.pub) and keep the private key to yourself",
                                     context: ["file.path": path])
            }
            throw error
        }
    }

    private static func listTrustedKeys(_ store: Store, context: CommandContext) throws {
        let keys = try store.trustedKeys()
        context.emit(["keys": .array(keys.map { (key) -> JSONValue in
            ["key_id": .string(key.keyID.text), "public_key": .string(key.publicKey.base64),
             "label": .optional(key.label), "added": .string(Format.time(key.added))]
        })]) {
            guard !keys.isEmpty else { return ["(no trusted keys)"] }
            var table = TextTable()
            table.add("KEY ID", "LABEL", "ADDED")
            for key in keys {
                table.add(key.keyID.text, key.label ?? "-", Format.time(key.added))
            }
            return table.lines
        }
    }

    // MARK: - Signing at publish

    /// The key `publish` signs with: `--sign KEYFILE`, else registry.json's `signing_key`,
    /// else none.
    static func signingKey(_ context: CommandContext) throws -> SigningKey? {
        if let file = context.arguments.value("sign") {
            return try SigningKey(contentsOf: context.path(file))
        }
        if let configured = context.config.signingKey {
            return try SigningKey(contentsOf: context.path(configured))
        }
        return nil
    }

    /// The signatures `publish` attaches to `package`: one by the signing key, if any.
    static func publishSignatures(for package: Package,
                                  context: CommandContext) throws -> [SignatureRecord] {
        guard let key = try signingKey(context) else { return [] }
        return [try key.sign(contentDigest: package.contentDigest)]
    }

    // MARK: - show

    /// A version's signatures for `show --json`.
    static func signaturesJSON(_ signatures: [StoredSignature]) -> JSONValue {
        .array(signatures.map { (signature) -> JSONValue in
            ["key_id": .string(signature.record.keyID),
             "trusted": .bool(signature.trusted),
             "created": .string(Format.time(signature.created))]
        })
    }

    /// A version's signatures for `show`'s text.
    static func signatureLines(_ signatures: [StoredSignature]) -> [String] {
        let lines = ["signatures (\(signatures.count)):"]
        var table = TextTable()
        for signature in signatures {
            table.add(signature.record.keyID, signature.trusted ? "trusted" : "untrusted",
                      Format.time(signature.created))
        }
        return lines + table.lines.map { "  " + $0 }
    }
}
