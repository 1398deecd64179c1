import FaceletPackage
import Foundation

/// One schema step, `Migrations/NNNN_name.sql`, embedded in the binary by
/// `scripts/embed-migrations.sh` (see `EmbeddedMigrations.swift`).
struct Migration: Sendable, Equatable {
    /// The `NNNN` prefix: migrations run in increasing order.
    let version: Int
    /// The file name after the prefix, without `.sql`.
    let name: String
    /// The SQL text, verbatim.
    let sql: String

    /// The SHA-256 of the SQL text, recorded when applied so an edited migration is noticed.
    var checksum: String { Digest.sha256(Data(sql.utf8)).hex }
}

/// Applies the embedded migrations that a database has not seen yet.
enum Migrator {
    /// Brings `database` up to the newest embedded migration.
    ///
    /// Each migration runs in its own `BEGIN IMMEDIATE` transaction together with its
    /// `schema_migrations` row, so a crash leaves it applied completely or not at all, and two
    /// processes migrating at once apply each step once (the second sees the first's row).
    /// Throws if the database has a migration this binary does not know (a newer program made
    /// it) or an applied migration's text differs from the embedded one.
    static func migrate(
        _ database: Database, migrations: [Migration] = Migration.embedded
    ) throws(StoreError) {
        try database.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    INTEGER PRIMARY KEY,
                name       TEXT NOT NULL,
                sha256     TEXT NOT NULL,
                applied_at TEXT NOT NULL
            )
            """)
        for migration in migrations.sorted(by: { $0.version < $1.version }) {
            try database.transaction(.immediate) { () throws(StoreError) in
                let applied = try database.firstRow(
                    "SELECT sha256 FROM schema_migrations WHERE version = ?",
                    [.integer(Int64(migration.version))]) { $0.text(0) }
                if let applied {
                    guard applied == migration.checksum else {
                        throw StoreError(
                            .migration,
                            "applied migration \(migration.version)_\(migration.name) differs "
                                + "from the one built into this program; applied migrations "
                                + "must never be edited",
                            path: database.path)
                    }
                    return
                }
                try database.execute(migration.sql)
                try database.run(
                    "INSERT INTO schema_migrations (version, name, sha256, applied_at) "
                        + "VALUES (?, ?, ?, ?)",
                    [.integer(Int64(migration.version)), .text(migration.name),
                     .text(migration.checksum), .text(Timestamp.now())])
            }
        }
        let known = Set(migrations.map(\.version))
        let unknown = try database.rows("SELECT version FROM schema_migrations") { $0.int64(0) }
            .filter { !known.contains(Int($0)) }
        guard unknown.isEmpty else {
            throw StoreError(
                .migration,
                "the store has schema migration(s) \(unknown) that this program does not know; "
                    + "it was written by a newer facelet-registry, use that one",
                path: database.path)
        }
    }
}

/// Times as stored in the database: ISO-8601 UTC with milliseconds.
enum Timestamp {
    /// Now, formatted.
    static func now() -> String { format(Date()) }

    /// `date` formatted as `2026-12-03T17:30:00.123Z`.
    static func format(_ date: Date) -> String {
        date.formatted(
            Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }

    /// Parses a stored time; the Unix epoch if the text is malformed.
    static func parse(_ text: String) -> Date {
        (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)
            .parse(text)) ?? Date(timeIntervalSince1970: 0)
    }
}
