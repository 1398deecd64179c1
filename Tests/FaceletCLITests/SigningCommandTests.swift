import FaceletPackage
import Foundation
import Testing
@testable import FaceletCLI

/// keygen, trust, publish --sign, show's signatures, and the registry.json keys for signing.
@Suite struct SigningCommandTests {
    /// The `error.code` of a failed `--json` run.
    private func errorCode(_ result: RunResult) -> String? {
        let object = try? JSONSerialization.jsonObject(with: Data(result.stderr.utf8))
        return ((object as? [String: Any])?["error"] as? [String: Any])?["code"] as? String
    }

    @Test func keygenWritesAPEMKeyPairAndNeverOverwrites() throws {
        let fixture = try CLIFixture()
        let made = try fixture.json("keygen", "me", "-o", "keys")
        let privatePath = fixture.path("keys/me.key")
        let publicPath = fixture.path("keys/me.pub")
        #expect(made["private_key"] as? String == privatePath)
        #expect(made["public_key"] as? String == publicPath)

        let key = try SigningKey(contentsOf: privatePath)
        #expect(try PublicKey(contentsOf: publicPath) == key.publicKey)
        #expect(made["key_id"] as? String == key.publicKey.keyID.text)
        let mode = try FileManager.default.attributesOfItem(atPath: privatePath)[
            .posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)

        let before = try Data(contentsOf: URL(fileURLWithPath: privatePath))
        let again = fixture.run("keygen", "me", "-o", "keys", "--json")
        #expect(again.status == 1)
        #expect(errorCode(again) == "signature.file_exists")
        #expect(try Data(contentsOf: URL(fileURLWithPath: privatePath)) == before)

        // Only the public file existing also refuses, and makes no private file.
        try FileManager.default.removeItem(atPath: privatePath)
        #expect(fixture.run("keygen", "me", "-o", "keys").status == 1)
        #expect(!FileManager.default.fileExists(atPath: privatePath))
    }

    @Test(arguments: ["../x", ".hidden", "a/b", "", String(repeating: "k", count: 65)])
    func keygenRefusesANameThatIsNotAFileName(name: String) throws {
        let fixture = try CLIFixture()
        let result = fixture.run("keygen", name, "--json")
        #expect(result.status == 1)
        #expect(errorCode(result) == "keygen.bad_name")
    }

    @Test func trustListsAndRemovesKeys() throws {
        let fixture = try CLIFixture()
        #expect(fixture.run("init").status == 0)
        let keyID = try fixture.json("keygen", "alice")["key_id"] as? String
        _ = try fixture.json("keygen", "bob")

        let added = try fixture.json("trust", "alice.pub", "--label", "Alice")
        #expect(added["key_id"] as? String == keyID && added["added"] as? Bool == true)
        #expect(try fixture.json("trust", "alice.pub")["added"] as? Bool == false)
        _ = try fixture.json("trust", fixture.path("bob.pub"))

        let keys = try #require(try fixture.json("trust", "--list")["keys"] as? [[String: Any]])
        #expect(keys.count == 2)
        let alice = try #require(keys.first { $0["key_id"] as? String == keyID })
        #expect(alice["label"] as? String == "Alice")
        #expect(fixture.run("trust", "--list").stdout.contains("Alice"))

        let removed = try fixture.json("trust", "--remove", try #require(keyID))
        #expect(removed["removed"] as? String == keyID)
        let left = try fixture.json("trust", "--list")["keys"] as? [[String: Any]]
        #expect(left?.count == 1)
        let again = fixture.run("trust", "--remove", try #require(keyID), "--json")
        #expect(again.status == 1 && errorCode(again) == "store.not_found")

        let actions = try #require(try fixture.json("log")["entries"] as? [[String: Any]])
            .compactMap { $0["action"] as? String }
        #expect(Array(actions.prefix(3)) == ["untrust", "trust", "trust"])
    }

    @Test func trustRefusesPrivateKeysMalformedIDsAndMixedModes() throws {
        let fixture = try CLIFixture()
        #expect(fixture.run("init").status == 0)
        _ = try fixture.json("keygen", "me")

        let secret = fixture.run("trust", "me.key", "--json")
        #expect(secret.status == 1 && errorCode(secret) == "signature.bad_pem")
        #expect(secret.stderr.contains("private key"))
        let missing = fixture.run("trust", "nobody.pub", "--json")
        #expect(missing.status == 1 && errorCode(missing) == "signature.io")
        let badID = fixture.run("trust", "--remove", "ed25519:xyz", "--json")
        #expect(badID.status == 1 && errorCode(badID) == "signature.bad_key_id")
        #expect(fixture.run("trust").status == 2)
        #expect(fixture.run("trust", "me.pub", "--list").status == 2)
        #expect(fixture.run("trust", "--list", "--label", "x").status == 2)
        #expect(try fixture.json("trust", "--list")["keys"] as? [Any] != nil)
    }

    @Test func publishSignsAndShowMarksTrust() throws {
        let fixture = try CLIFixture()
        try fixture.storeWithBackbone()
        _ = try fixture.json("new-backbone", "--width", "0.0625", "--seed", "4", "--name",
                             "other", "-o", fixture.path("other.fbb"))
        let keyID = try fixture.json("keygen", "me")["key_id"] as? String

        let published = try fixture.json("publish", "other.fbb", "--sign", "me.key")
        #expect(published["new"] as? Bool == true)
        #expect(published["signatures"] as? [String] == [try #require(keyID)])
        var shown = try fixture.json("show", "other:1")
        var signatures = try #require(shown["signatures"] as? [[String: Any]])
        #expect(signatures.count == 1)
        #expect(signatures[0]["key_id"] as? String == keyID)
        #expect(signatures[0]["trusted"] as? Bool == false)
        #expect(fixture.run("show", "other:1").stdout.contains("\(keyID ?? "")  untrusted"))

        _ = try fixture.json("trust", "me.pub")
        shown = try fixture.json("show", "other:1")
        signatures = try #require(shown["signatures"] as? [[String: Any]])
        #expect(signatures[0]["trusted"] as? Bool == true)

        // Signing content that is already present records the new signature.
        _ = try fixture.json("keygen", "second")
        let again = try fixture.json("publish", "other.fbb", "--sign", "second.key")
        #expect(again["new"] as? Bool == false)
        #expect((try fixture.json("show", "other:1")["signatures"] as? [Any])?.count == 2)
        // The unsigned backbone shows no signatures.
        #expect((try fixture.json("show", "vgg-narrow:1")["signatures"] as? [Any])?.isEmpty
                == true)
    }

    @Test func publishWithABadKeyFileChangesNothing() throws {
        let fixture = try CLIFixture()
        try fixture.storeWithBackbone()
        _ = try fixture.json("new-backbone", "--width", "0.0625", "--seed", "4", "--name",
                             "other", "-o", fixture.path("other.fbb"))
        _ = try fixture.json("keygen", "me")
        try Data("not a key".utf8).write(to: URL(fileURLWithPath: fixture.path("bad.key")))
        let before = try fixture.snapshot()

        for keyFile in ["bad.key", "me.pub", "absent.key"] {
            let result = fixture.run("publish", "other.fbb", "--sign", keyFile, "--json")
            #expect(result.status == 1, "\(keyFile)")
            #expect(errorCode(result)?.hasPrefix("signature.") == true, "\(keyFile)")
        }
        let plain = fixture.run("publish", "other.fbb", "--sign", "bad.key")
        #expect(plain.stderr.contains(fixture.path("bad.key")))
        #expect(try fixture.snapshot() == before)
    }

    @Test func publishUsesTheConfiguredSigningKey() throws {
        let fixture = try CLIFixture()
        try fixture.storeWithBackbone()
        _ = try fixture.json("new-backbone", "--width", "0.0625", "--seed", "4", "--name",
                             "other", "-o", fixture.path("other.fbb"))
        let keyID = try fixture.json("keygen", "me", "-o", "keys")["key_id"] as? String
        let config = fixture.path("registry.json")
        try Data(#"{"signing_key": "keys/me.key"}"#.utf8).write(to: URL(fileURLWithPath: config))

        let result = fixture.run(["--config", config, "publish", "other.fbb", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try result.json()["signatures"] as? [String] == [try #require(keyID)])
    }

    // MARK: - registry.json

    private func loadConfig(_ text: String) throws -> (RegistryConfig, URL) {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("facelet-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("registry.json")
        try Data(text.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: folder) }
        return (try RegistryConfig.load(path: file.path), folder)
    }

    @Test func configReadsSigningKeyPolicyAndTokenEnv() throws {
        let (config, folder) = try loadConfig("""
            {"remotes": {"team": {"url": "http://r:8650", "token_env": "FACELET_TEAM_TOKEN"},
                         "mirror": {"url": "https://cdn/facelet"}},
             "signing_key": "keys/me.key",
             "policy": {"require_signature": true}}
            """)
        #expect(config.policy.requireSignature)
        #expect(config.signingKey
                == folder.appendingPathComponent("keys/me.key").standardizedFileURL.path)
        let team = try #require(config.remotes.first { $0.name == "team" })
        #expect(team.tokenEnv == "FACELET_TEAM_TOKEN")
        #expect(team.tokenVariable == "FACELET_TEAM_TOKEN")
        let mirror = try #require(config.remotes.first { $0.name == "mirror" })
        #expect(mirror.tokenEnv == nil && mirror.tokenVariable == "FACELET_TOKEN")

        let (home, _) = try loadConfig(#"{"signing_key": "~/.facelet/keys/me.key"}"#)
        #expect(home.signingKey == "~/.facelet/keys/me.key")
        #expect(!home.policy.requireSignature)
        #expect(RegistryConfig.builtIn.signingKey == nil)
        #expect(!RegistryConfig.builtIn.policy.requireSignature)
    }

    @Test(arguments: [
        #"{"policy": {"require_signature": "yes"}}"#,
        #"{"policy": {"require_signature": 1}}"#,
        #"{"policy": {"require_signatures": true}}"#,
        #"{"policy": true}"#,
        #"{"signing_key": ""}"#,
        #"{"signing_key": 3}"#,
        #"{"remotes": {"a": {"url": "http://x", "token_env": "1ABC"}}}"#,
        #"{"remotes": {"a": {"url": "http://x", "token_env": "A-B"}}}"#,
        #"{"remotes": {"a": {"url": "http://x", "token_env": ""}}}"#,
    ])
    func configRefusesBadSigningSettings(text: String) throws {
        do {
            _ = try loadConfig(text)
            Issue.record("accepted \(text)")
        } catch let error as CLIError {
            #expect(error.code == "config-invalid")
        }
    }
}
