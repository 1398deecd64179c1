import Foundation
import Testing
@testable import FaceletStore

@Suite struct MigrationTests {
    /// The repository's Migrations/ folder (found from this file's path).
    private var migrationsFolder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Migrations")
    }

    @Test func embeddedMigrationsMatchFiles() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: migrationsFolder.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        #expect(!files.isEmpty)
        let expected = try files.map { file in
            let base = String(file.dropLast(4))
            let parts = base.split(separator: "_", maxSplits: 1).map(String.init)
            let sql = try String(contentsOf: migrationsFolder.appendingPathComponent(file),
                                 encoding: .utf8)
            return Migration(version: Int(parts[0]) ?? -1, name: parts[1], sql: sql)
        }
        // If this fails, run scripts/embed-migrations.sh and commit the regenerated file.
        #expect(Migration.embedded == expected)
    }

    @Test func migrationsAreNumberedInOrderWithoutGaps() {
        #expect(Migration.embedded.map(\.version) == Array(1...Migration.embedded.count))
    }

    @Test func createRecordsEachMigrationOnceAndIsSafeToRepeat() throws {
        try withTemporaryStore { store, directory in
            let backbone = try Fixtures.backbone()
            _ = try store.publish(backbone)
            let again = try Store.create(at: directory)
            #expect(try again.list().map(\.name) == ["vgg19-tiny"])
            let applied = try again.database.rows(
                "SELECT version, name, sha256 FROM schema_migrations ORDER BY version") {
                "\($0.int64(0)) \($0.text(1)) \($0.text(2))"
            }
            #expect(applied == Migration.embedded.map { "\($0.version) \($0.name) \($0.checksum)" })
        }
    }

    @Test func refusesAnAppliedMigrationWhoseTextChanged() throws {
        try withTemporaryStore { store, _ in
            var edited = Migration.embedded
            edited[0] = Migration(version: edited[0].version, name: edited[0].name,
                                  sql: edited[0].sql + "-- edited\n")
            #expect(storeErrorCode { try Migrator.migrate(store.database, migrations: edited) }
                    == .migration)
        }
    }

    @Test func refusesAStoreFromANewerProgram() throws {
        try withTemporaryStore { store, directory in
            try store.database.run(
                "INSERT INTO schema_migrations (version, name, sha256, applied_at) "
                    + "VALUES (9999, 'future', 'x', 'now')")
            #expect(storeErrorCode { _ = try Store.open(at: directory) } == .migration)
        }
    }

    @Test func openRefusesADirectoryWithoutAStore() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("facelet-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = storeError { _ = try Store.open(at: directory) }
        #expect(error?.code == .notInitialised)
        #expect(error?.message.contains("init") == true)
        #expect(!FileManager.default.fileExists(
            atPath: directory.appendingPathComponent("store.sqlite").path))
    }

    @Test func createLaysOutTheDocumentedDirectories() throws {
        try withTemporaryStore { store, directory in
            for path in ["store.sqlite", "blobs/sha256", "tmp"] {
                #expect(FileManager.default.fileExists(
                    atPath: directory.appendingPathComponent(path).path))
            }
            let mode = try store.database.firstRow("PRAGMA journal_mode") { $0.text(0) }
            #expect(mode == "wal")
            let keys = try store.database.firstRow("PRAGMA foreign_keys") { $0.int64(0) }
            #expect(keys == 1)
        }
    }
}
