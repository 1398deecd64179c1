import FaceletPackage
import Foundation
import Testing
@testable import FaceletStore

/// Signatures and trusted keys in the store, and the pull policy.
@Suite struct SignatureStoreTests {
    /// A store with the tiny backbone published; returns the backbone's digest.
    private func withBackbone(
        _ body: (Store, Package) throws -> Void
    ) throws {
        try withTemporaryStore { store, _ in
            let backbone = try Fixtures.backbone()
            _ = try store.publish(backbone)
            try body(store, backbone)
        }
    }

    // MARK: - Recording

    @Test func publishRecordsSignaturesInTheSameTransaction() throws {
        try withTemporaryStore { store, _ in
            let backbone = try Fixtures.backbone()
            let key = try SigningKey.generate()
            let record = try key.sign(contentDigest: backbone.contentDigest)
            let counter = try store.changeCounter()

            let outcome = try store.publish(backbone, signatures: [record])
            #expect(!outcome.alreadyPresent)
            let stored = try store.signatures(for: backbone.contentDigest)
            #expect(stored.map(\.record) == [record])
            #expect(stored.map(\.trusted) == [false])
            // One transaction: one audit entry, one counter step.
            #expect(try store.changeCounter() == counter + 1)
            let entry = try store.auditLog(limit: 1)[0]
            #expect(entry.action == .publish)
            #expect(entry.detailJSON.contains("\"signatures\":\"\(record.keyID)\""))
        }
    }

    @Test func publishWithABadSignatureIsRefusedAndStoresNothing() throws {
        try withTemporaryStore { store, _ in
            let backbone = try Fixtures.backbone()
            let other = try Fixtures.backbone(version: "2", seed: 1)
            let wrong = try SigningKey.generate().sign(contentDigest: other.contentDigest)

            let error = storeError { _ = try store.publish(backbone, signatures: [wrong]) }
            #expect(error?.code == .invalidSignature)
            #expect(error?.message.contains("signature.invalid") == true)
            #expect(try store.list().isEmpty)
            #expect(try store.auditLog(limit: 10).isEmpty)
        }
    }

    @Test(arguments: [Store.PublishStep.rowsInserted, .latestMoved, .auditAppended])
    func crashBeforeCommitLeavesNoSignature(step: Store.PublishStep) throws {
        try withTemporaryStore { store, _ in
            let backbone = try Fixtures.backbone()
            let record = try SigningKey.generate().sign(contentDigest: backbone.contentDigest)
            store.faultHook = { (reached) throws(StoreError) in
                if reached == step { throw StoreError(.injectedFault, "crash at \(step)") }
            }
            #expect(storeErrorCode { _ = try store.publish(backbone, signatures: [record]) }
                    == .injectedFault)
            store.faultHook = nil
            #expect(try store.list().isEmpty)
            let rows = try store.database.firstRow("SELECT count(*) FROM signatures") {
                $0.int64(0)
            }
            #expect(rows == 0)

            _ = try store.publish(backbone, signatures: [record])
            #expect(try store.signatures(for: backbone.contentDigest).map(\.record) == [record])
        }
    }

    @Test func republishingPresentContentAddsOnlyNewSignatures() throws {
        try withBackbone { store, backbone in
            let first = try SigningKey.generate().sign(contentDigest: backbone.contentDigest)
            let second = try SigningKey.generate().sign(contentDigest: backbone.contentDigest)
            #expect(try store.publish(backbone, signatures: [first]).alreadyPresent)
            let counter = try store.changeCounter()
            #expect(try store.publish(backbone, signatures: [first]).alreadyPresent)
            // Nothing new: no audit entry.
            #expect(try store.changeCounter() == counter)
            _ = try store.publish(backbone, signatures: [first, second])
            #expect(try store.changeCounter() == counter + 1)
            #expect(try store.auditLog(limit: 1)[0].action == .sign)
            let keys = try store.signatures(for: backbone.contentDigest).map(\.record.keyID)
            #expect(keys == [first.keyID, second.keyID].sorted())
        }
    }

    @Test func recordSignaturesVerifiesAndNeedsThePublishedVersion() throws {
        try withBackbone { store, backbone in
            let key = try SigningKey.generate()
            let record = try key.sign(contentDigest: backbone.contentDigest)
            #expect(try store.recordSignatures([record], for: backbone.contentDigest) == 1)
            #expect(try store.recordSignatures([record], for: backbone.contentDigest) == 0)
            let entry = try store.auditLog(limit: 1)[0]
            #expect(entry.action == .sign && entry.subject == "vgg19-tiny:1")

            var flipped = try key.sign(contentDigest: backbone.contentDigest)
            flipped.keyID = try SigningKey.generate().publicKey.keyID.text
            #expect(storeErrorCode {
                try store.recordSignatures([flipped], for: backbone.contentDigest)
            } == .invalidSignature)

            let absent = Digest.sha256(Data("absent".utf8))
            let forAbsent = try key.sign(contentDigest: absent)
            #expect(storeErrorCode { try store.recordSignatures([forAbsent], for: absent) }
                    == .notFound)
            #expect(try store.signatures(for: backbone.contentDigest).count == 1)
        }
    }

    @Test func removingAVersionRemovesItsSignatures() throws {
        try withBackbone { store, backbone in
            let record = try SigningKey.generate().sign(contentDigest: backbone.contentDigest)
            try store.recordSignatures([record], for: backbone.contentDigest)
            try store.remove(ref("vgg19-tiny:1"))
            #expect(try store.signatures(for: backbone.contentDigest).isEmpty)
            let rows = try store.database.firstRow("SELECT count(*) FROM signatures") {
                $0.int64(0)
            }
            #expect(rows == 0)
        }
    }

    // MARK: - Trust

    @Test func trustListAndUntrustWithAuditEntries() throws {
        try withTemporaryStore { store, _ in
            let a = try SigningKey.generate().publicKey
            let b = try SigningKey.generate().publicKey
            #expect(try store.trust(a, label: "alice"))
            #expect(try store.trust(b))
            #expect(try store.trust(a, label: "alice") == false)
            let counter = try store.changeCounter()
            #expect(try store.trust(a, label: "Alice L.") == false)
            #expect(try store.changeCounter() == counter + 1)

            let keys = try store.trustedKeys()
            #expect(keys.map(\.keyID) == [a.keyID, b.keyID].sorted())
            let alice = try #require(keys.first { $0.keyID == a.keyID })
            #expect(alice.publicKey == a && alice.label == "Alice L.")
            #expect(keys.first { $0.keyID == b.keyID }?.label == nil)

            try store.untrust(a.keyID)
            #expect(try store.trustedKeys().map(\.keyID) == [b.keyID])
            let log = try store.auditLog(limit: 10)
            #expect(log.map(\.action) == [.untrust, .trust, .trust, .trust])
            #expect(log[0].subject == a.keyID.text)
            #expect(log[0].detailJSON == #"{"label":"Alice L."}"#)
            #expect(log[1].detailJSON.contains("\"previous_label\":\"alice\""))

            #expect(storeErrorCode { try store.untrust(a.keyID) } == .notFound)
        }
    }

    @Test(arguments: [String(repeating: "x", count: 201), "tab\there", "nul\u{0}"])
    func trustRefusesABadLabel(label: String) throws {
        try withTemporaryStore { store, _ in
            let key = try SigningKey.generate().publicKey
            #expect(storeErrorCode { try store.trust(key, label: label) } == .invalidLabel)
            #expect(try store.trustedKeys().isEmpty)
        }
    }

    @Test func trustedSignaturesCountOnlyTrustedKeysThatVerify() throws {
        try withBackbone { store, backbone in
            let digest = backbone.contentDigest
            let trusted = try SigningKey.generate()
            let untrusted = try SigningKey.generate()
            try store.trust(trusted.publicKey)
            let good = try trusted.sign(contentDigest: digest)
            let byStranger = try untrusted.sign(contentDigest: digest)
            try store.recordSignatures([good, byStranger], for: digest)

            #expect(try store.trustedSignatures(for: digest) == [good])
            let marks = try store.signatures(for: digest)
                .map { ($0.record.keyID, $0.trusted) }
            #expect(marks.count == 2)
            #expect(marks.contains { $0 == (good.keyID, true) })
            #expect(marks.contains { $0 == (byStranger.keyID, false) })

            // A row altered in the catalogue no longer counts.
            var other = try trusted.sign(contentDigest: Digest.sha256(Data("x".utf8)))
            other.keyID = good.keyID
            try store.database.run("UPDATE signatures SET signature = ? WHERE key_id = ?",
                                   [.text(other.signature), .text(good.keyID)])
            #expect(try store.trustedSignatures(for: digest).isEmpty)

            try store.untrust(trusted.publicKey.keyID)
            #expect(try store.signatures(for: digest).allSatisfy { !$0.trusted })
        }
    }

    // MARK: - Policy

    @Test func policyOffAcceptsUnsignedAndReportsBadSignatures() throws {
        try withBackbone { store, backbone in
            let digest = backbone.contentDigest
            let none = try SignaturePolicy.check([], digest: digest, store: store,
                                                 requireSignature: false)
            #expect(none.verified.isEmpty && none.trusted.isEmpty && none.rejected.isEmpty)

            let good = try SigningKey.generate().sign(contentDigest: digest)
            let bad = try SigningKey.generate().sign(contentDigest: Digest.sha256(Data()))
            let outcome = try SignaturePolicy.check([good, bad], digest: digest, store: store,
                                                    requireSignature: false)
            #expect(outcome.verified == [good])
            #expect(outcome.trusted.isEmpty)
            #expect(outcome.rejected.map(\.record) == [bad])
            #expect(outcome.rejected.map(\.error.code) == [.invalid])
        }
    }

    @Test func policyOnRefusesUnsignedUntrustedAndBadSignatures() throws {
        try withBackbone { store, backbone in
            let digest = backbone.contentDigest
            let publisher = try SigningKey.generate()
            let stranger = try SigningKey.generate()
            let good = try publisher.sign(contentDigest: digest)
            let byStranger = try stranger.sign(contentDigest: digest)
            var bad = good
            bad.signature = try publisher.sign(contentDigest: Digest.sha256(Data())).signature

            func code(_ records: [SignatureRecord]) -> StoreError.Code? {
                storeErrorCode {
                    try SignaturePolicy.check(records, digest: digest, store: store,
                                              requireSignature: true)
                }
            }
            #expect(code([]) == .unsigned)
            #expect(code([good]) == .unsigned)          // not trusted yet
            try store.trust(publisher.publicKey)
            #expect(code([byStranger]) == .unsigned)
            #expect(code([bad]) == .badSignature)
            #expect(code([good, bad]) == .badSignature)
            #expect(code([good, byStranger]) == nil)

            let outcome = try SignaturePolicy.check([byStranger, good], digest: digest,
                                                    store: store, requireSignature: true)
            #expect(outcome.trusted == [good])
            #expect(outcome.verified == [byStranger, good])
            #expect(StoreError.Code.unsigned.rawValue == "remote.unsigned")
            #expect(StoreError.Code.badSignature.rawValue == "remote.bad_signature")
        }
    }

    // MARK: - Migration

    @Test func migrationFromAStoreWithoutSignaturesKeepsItsAuditLog() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("facelet-store-0001-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let backbone = try Fixtures.backbone()
        let digest = backbone.contentDigest

        // A store as the program before 0002 left it: one version, two audit entries.
        do {
            let database = try Database(
                path: directory.appendingPathComponent("store.sqlite").path, create: true)
            try database.execute("PRAGMA foreign_keys = ON")
            try database.execute("PRAGMA journal_mode = WAL")
            try Migrator.migrate(database, migrations: [Migration.embedded[0]])
            try database.run("INSERT INTO packages (id, name, kind, created_at) "
                                 + "VALUES (1, 'vgg19-tiny', 'backbone', 'then')")
            try database.run(
                "INSERT INTO versions (id, package_id, version, content_digest, manifest_json, "
                    + "byte_size, created_at) VALUES (1, 1, '1', ?, ?, 0, 'then')",
                [.text(digest.description),
                 .text(String(decoding: backbone.manifest.canonicalJSON(), as: UTF8.self))])
            for (action, subject) in [("publish", "vgg19-tiny:1"), ("tag", "vgg19-tiny@a")] {
                try database.run("INSERT INTO audit_log (at, action, subject, detail_json) "
                                     + "VALUES ('2026-12-01T00:00:00.000Z', ?, ?, '{}')",
                                 [.text(action), .text(subject)])
            }
            try database.close()
        }

        let store = try Store.open(at: directory)
        let applied = try store.database.rows(
            "SELECT version FROM schema_migrations ORDER BY version") { $0.int64(0) }
        #expect(applied == Migration.embedded.map { Int64($0.version) })
        let log = try store.auditLog(limit: 10)
        #expect(log.map(\.id) == [2, 1])
        #expect(log.map(\.action) == [.tag, .publish])
        #expect(try store.changeCounter() == 2)

        // The rebuilt audit log still bumps the counter, accepts the new actions and keeps
        // counting ids upwards; the new tables work with the old version.
        let key = try SigningKey.generate()
        try store.trust(key.publicKey, label: "me")
        try store.recordSignatures([key.sign(contentDigest: digest)], for: digest)
        #expect(try store.changeCounter() == 4)
        #expect(try store.auditLog(limit: 2).map(\.id) == [4, 3])
        #expect(try store.trustedSignatures(for: digest).count == 1)
        let triggers = try store.database.rows(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'") { $0.text(0) }
        #expect(triggers == ["audit_log_bumps_counter"])
        let leftovers = try store.database.rows(
            "SELECT name FROM sqlite_master WHERE name = 'audit_log_v2'") { $0.text(0) }
        #expect(leftovers.isEmpty)
    }

    @Test func auditLogRefusesAnUnknownAction() throws {
        try withTemporaryStore { store, _ in
            #expect(storeErrorCode {
                try store.database.run("INSERT INTO audit_log (at, action, subject, detail_json) "
                                           + "VALUES ('t', 'bogus', 's', '{}')")
            } == .database)
        }
    }
}
