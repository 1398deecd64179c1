import FaceletPackage
import Foundation

/// The SQLite-backed, content-addressed local store of banks and backbones.
///
/// On disk (see docs/store.md):
///
///     <dir>/store.sqlite            the catalogue (WAL mode; -wal and -shm beside it)
///     <dir>/store.lock              flock'd: publishes shared, gc exclusive
///     <dir>/blobs/sha256/ab/ab…     immutable files named by the SHA-256 of their bytes
///     <dir>/tmp/                    staging for blobs being written
///     <dir>/partial/                a pull's downloads (`<hex>.part`, `<hex>.json`)
///     <dir>/pull.lock               flock'd exclusive by a pull
///
/// Thread safety: a `Store` holds one SQLite connection and serialises every call behind an
/// internal lock, so one value may be shared between threads (calls run one at a time). For
/// parallel work open several `Store` values on the same directory; they coordinate through
/// SQLite's locks and the lock file exactly as separate processes do.
public final class Store: @unchecked Sendable {
    // @unchecked Sendable: every mutable member (the database connection, the hook) is only
    // touched while `lock` is held; `directory` and the paths are immutable.

    /// The store's directory.
    public let directory: URL
    let database: Database
    let lock = NSLock()

    /// Test hook: called at each named step of a publish; throwing simulates a crash there.
    var faultHook: (@Sendable (PublishStep) throws(StoreError) -> Void)?

    /// How long a publish or gc waits for the other to finish before failing with `.busy`.
    var fileLockTimeout: Double = 60

    /// The steps of a publish, in order, at which the test hook can inject a crash.
    enum PublishStep: String, CaseIterable, Sendable {
        /// The shared lock on store.lock is held, nothing written yet.
        case lockAcquired
        /// A blob's staging file is written and fsynced in tmp/, not yet renamed.
        case blobStaged
        /// A blob has been renamed into blobs/ (called once per new blob).
        case blobPlaced
        /// Every blob is in place; no row written yet.
        case blobsWritten
        /// `BEGIN IMMEDIATE` succeeded.
        case transactionBegun
        /// The package, version, tensor and thumbnail rows are inserted.
        case rowsInserted
        /// The `latest` tag has moved.
        case latestMoved
        /// The audit entry is appended; `COMMIT` is next.
        case auditAppended
        /// The transaction has committed (a crash now leaves the store as after).
        case committed
    }

    private init(directory: URL, database: Database) {
        self.directory = directory
        self.database = database
    }

    // MARK: - Opening

    /// Creates a store in `directory` (making the directory if needed), or opens the one there.
    ///
    /// Safe to run twice, and concurrently: every step is idempotent and migrations run in
    /// `BEGIN IMMEDIATE` transactions.
    /// - Throws: `StoreError` (`.io`, `.database`, `.migration`).
    public static func create(at directory: URL) throws(StoreError) -> Store {
        let root = directory.standardizedFileURL
        for sub in ["", "blobs/sha256", "tmp"] {
            try FileSystem.makeDirectory(root.appendingPathComponent(sub).path)
        }
        let database = try Database(path: databasePath(root), create: true)
        try configure(database)
        // > The WAL journaling mode uses a write-ahead log instead of a rollback journal to
        // > implement transactions. The WAL journaling mode is persistent; after being set it
        // > stays in effect across multiple database connections and after closing and
        // > reopening the database.  https://www.sqlite.org/pragma.html#pragma_journal_mode
        try enableWriteAheadLog(database)
        try Migrator.migrate(database)
        return Store(directory: root, database: database)
    }

    /// Opens the store in `directory`, applying any migrations this program has that the store
    /// has not seen yet.
    /// - Throws: `StoreError` `.notInitialised` if there is no store there.
    public static func open(at directory: URL) throws(StoreError) -> Store {
        let root = directory.standardizedFileURL
        let path = databasePath(root)
        guard FileSystem.fileSize(path) != nil else {
            throw StoreError(.notInitialised,
                             "\(root.path) is not a Facelet store; run `facelet-registry init` "
                                 + "to create one", path: root.path)
        }
        let database = try Database(path: path, create: false)
        try configure(database)
        let hasSchema = try database.firstRow(
            "SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'") {
            $0.int64(0)
        } ?? 0
        guard hasSchema > 0 else {
            throw StoreError(.notInitialised,
                             "\(root.path) holds a database without a store schema; run "
                                 + "`facelet-registry init` to create the store", path: path)
        }
        try Migrator.migrate(database)
        for sub in ["blobs/sha256", "tmp"] {
            try FileSystem.makeDirectory(root.appendingPathComponent(sub).path)
        }
        return Store(directory: root, database: database)
    }

    /// Switches the database to WAL, retrying for up to 10 s while another connection holds a
    /// lock: SQLite answers a journal-mode change with SQLITE_BUSY at once, without calling the
    /// busy handler (seen when several processes create the same store together).
    private static func enableWriteAheadLog(_ database: Database) throws(StoreError) {
        let deadline = Date().addingTimeInterval(10)
        while true {
            do throws(StoreError) {
                try database.execute("PRAGMA journal_mode = WAL")
                return
            } catch {
                guard error.code == .busy, Date() < deadline else { throw error }
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
    }

    /// Per-connection settings (these do not persist in the file).
    private static func configure(_ database: Database) throws(StoreError) {
        try database.execute("PRAGMA foreign_keys = ON")
        // > This routine sets a busy handler that sleeps for a specified amount of time when a
        // > table is locked. The handler will sleep multiple times until at least "ms"
        // > milliseconds of sleeping have accumulated.
        // https://www.sqlite.org/c3ref/busy_timeout.html. Writers hold the lock for one short
        // transaction (blobs are written before it), so 10 s is ample.
        try database.execute("PRAGMA busy_timeout = 10000")
        // FULL rather than NORMAL: https://www.sqlite.org/pragma.html#pragma_synchronous says
        // > With synchronous=FULL in WAL mode, an additional sync operation of the WAL file
        // > happens after each transaction commit. The extra WAL sync following each
        // > transaction helps ensure that transactions are durable across a power loss.
        // and of NORMAL:
        // > A transaction committed in WAL mode with synchronous=NORMAL might roll back
        // > following a power loss or system crash.
        // A publish that reported success must survive power loss (the caller may delete its
        // source file next), and publishes are rare, so one extra fsync each is cheap.
        try database.execute("PRAGMA synchronous = FULL")
    }

    private static func databasePath(_ root: URL) -> String {
        root.appendingPathComponent("store.sqlite").path
    }

    // MARK: - Paths

    var blobRoot: String { directory.appendingPathComponent("blobs/sha256").path }
    var tempDirectory: String { directory.appendingPathComponent("tmp").path }
    var lockFilePath: String { directory.appendingPathComponent("store.lock").path }
    var partialPath: String { directory.appendingPathComponent("partial").path }
    var pullLockPath: String { directory.appendingPathComponent("pull.lock").path }

    /// `blobs/sha256/<first 2 hex>/<64 hex>`.
    func blobPath(_ digest: Digest) -> String {
        "\(blobRoot)/\(digest.hex.prefix(2))/\(digest.hex)"
    }

    // MARK: - Helpers shared by the aspects

    /// Runs `body` with the connection lock held.
    func locked<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Calls the test hook, if any.
    func reach(_ step: PublishStep) throws(StoreError) {
        try faultHook?(step)
    }

    /// Appends an audit entry (which also bumps the change counter, by trigger).
    func audit(_ action: AuditAction, _ subject: String,
               _ detail: [String: String]) throws(StoreError) {
        try database.run(
            "INSERT INTO audit_log (at, action, subject, detail_json) VALUES (?, ?, ?, ?)",
            [.text(Timestamp.now()), .text(action.rawValue), .text(subject),
             .text(Store.json(detail))])
    }

    /// A string map as a compact JSON object with sorted keys.
    static func json(_ object: [String: String]) -> String {
        let data = (try? JSONSerialization.data(
            withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Parses a digest read back from the database; a malformed one is corruption.
    static func storedDigest(_ text: String) throws(StoreError) -> Digest {
        do {
            return try Digest(parsing: text)
        } catch {
            throw StoreError(.integrity, "the catalogue holds a malformed digest; run verify",
                             digest: String(text.prefix(80)))
        }
    }
}
