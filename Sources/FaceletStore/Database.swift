import CSQLite
import Foundation

/// One SQLite connection: owns the `sqlite3*` handle and closes it exactly once.
///
/// Not thread-safe by itself: `Store` serialises every use behind its lock. The connection is
/// opened with `SQLITE_OPEN_FULLMUTEX` as a second line of defence.
final class Database {
    private var handle: OpaquePointer?
    /// The database file's path (for error messages).
    let path: String

    /// Opens (and, with `create`, creates) the database file at `path`.
    init(path: String, create: Bool) throws(StoreError) {
        self.path = path
        var flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX
        if create { flags |= SQLITE_OPEN_CREATE }
        var opened: OpaquePointer?
        let status = sqlite3_open_v2(path, &opened, flags, nil)
        guard status == SQLITE_OK, let opened else {
            let message = opened.map { String(cString: sqlite3_errmsg($0)) }
                ?? String(cString: sqlite3_errstr(status))
            sqlite3_close_v2(opened)
            throw StoreError(
                create ? .database : .notInitialised,
                create ? "cannot create the store database: \(message)"
                    : "no store database here (\(message)); run `facelet-registry init` first",
                path: path, sqliteResultCode: status)
        }
        handle = opened
        sqlite3_extended_result_codes(opened, 1)
    }

    deinit {
        // sqlite3_close_v2 defers the close until every statement is finalised, so a leaked
        // Statement cannot make this fail.
        if let handle { sqlite3_close_v2(handle) }
    }

    /// Closes the connection now; later calls throw.
    func close() throws(StoreError) {
        guard let handle else { return }
        let status = sqlite3_close_v2(handle)
        self.handle = nil
        guard status == SQLITE_OK else {
            throw StoreError(.database, "closing the store database failed",
                             path: path, sqliteResultCode: status)
        }
    }

    /// The open handle; only for use inside this file and `Statement`.
    fileprivate func requireHandle(sql: String) throws(StoreError) -> OpaquePointer {
        guard let handle else {
            throw StoreError(.database, "the store database is closed", path: path, sql: sql)
        }
        return handle
    }

    /// The error SQLite last reported on this connection, with the SQL that caused it.
    fileprivate func error(_ status: Int32, sql: String) -> StoreError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) }
            ?? String(cString: sqlite3_errstr(status))
        let primary = status & 0xff
        if primary == SQLITE_BUSY || primary == SQLITE_LOCKED {
            return StoreError(
                .busy,
                "the store database is locked by another process (\(message)); try again",
                path: path, sql: sql, sqliteResultCode: status)
        }
        return StoreError(.database, message, path: path, sql: sql, sqliteResultCode: status)
    }

    /// Runs one or more SQL statements that return no rows (schema scripts, pragmas).
    func execute(_ sql: String) throws(StoreError) {
        let db = try requireHandle(sql: sql)
        let status = sqlite3_exec(db, sql, nil, nil, nil)
        guard status == SQLITE_OK else { throw error(status, sql: sql) }
    }

    /// Compiles one statement.
    func prepare(_ sql: String) throws(StoreError) -> Statement {
        let db = try requireHandle(sql: sql)
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v2(db, sql, -1, &statement, nil)
        guard status == SQLITE_OK, let statement else {
            sqlite3_finalize(statement)
            throw error(status, sql: sql)
        }
        return Statement(database: self, handle: statement, sql: sql)
    }

    /// Runs `sql` with `arguments` to completion, ignoring rows.
    func run(_ sql: String, _ arguments: [SQLValue] = []) throws(StoreError) {
        let statement = try prepare(sql)
        try statement.bind(arguments)
        while try statement.step() {}
    }

    /// Runs `sql` with `arguments` and maps every row.
    func rows<T>(
        _ sql: String, _ arguments: [SQLValue] = [],
        _ map: (Statement) throws(StoreError) -> T
    ) throws(StoreError) -> [T] {
        let statement = try prepare(sql)
        try statement.bind(arguments)
        var result: [T] = []
        while try statement.step() { result.append(try map(statement)) }
        return result
    }

    /// Runs `sql` with `arguments` and maps the first row, if any.
    func firstRow<T>(
        _ sql: String, _ arguments: [SQLValue] = [],
        _ map: (Statement) throws(StoreError) -> T
    ) throws(StoreError) -> T? {
        let statement = try prepare(sql)
        try statement.bind(arguments)
        guard try statement.step() else { return nil }
        return try map(statement)
    }

    /// The row id of the last insert on this connection.
    var lastInsertRowID: Int64 {
        handle.map { sqlite3_last_insert_rowid($0) } ?? 0
    }

    /// The number of rows the last INSERT, UPDATE or DELETE on this connection changed.
    var changes: Int {
        handle.map { Int(sqlite3_changes($0)) } ?? 0
    }

    /// How a transaction takes its locks.
    enum TransactionKind: String {
        /// Takes the write lock at `BEGIN`, so the transaction never fails half way with
        /// SQLITE_BUSY when it first writes.
        case immediate = "BEGIN IMMEDIATE"
        /// A read transaction: a consistent snapshot for several SELECTs.
        case deferred = "BEGIN DEFERRED"
    }

    /// Runs `body` in a transaction: commits if it returns, rolls back if it throws.
    ///
    /// Write transactions are `BEGIN IMMEDIATE`. From https://www.sqlite.org/lang_transaction.html:
    // > IMMEDIATE cause the database connection to start a new write immediately, without
    // > waiting for a write statement. The BEGIN IMMEDIATE might fail with SQLITE_BUSY if
    // > another write transaction is already active on another database connection.
    /// A deferred transaction that reads and then writes could instead fail with
    /// SQLITE_BUSY_SNAPSHOT in WAL mode without the busy handler ever being called; starting
    /// immediate makes the busy timeout apply at `BEGIN`, before anything was read.
    func transaction<T>(
        _ kind: TransactionKind, _ body: () throws(StoreError) -> T
    ) throws(StoreError) -> T {
        try execute(kind.rawValue)
        let result: T
        do {
            result = try body()
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
        do {
            try execute("COMMIT")
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
        return result
    }
}

/// A value bound to a statement parameter.
enum SQLValue {
    case null
    case integer(Int64)
    case text(String)
    case blob(Data)

    /// `.text` for a present string, `.null` otherwise.
    static func optionalText(_ text: String?) -> SQLValue {
        text.map(SQLValue.text) ?? .null
    }
}

/// One compiled statement: owns the `sqlite3_stmt*` and finalises it in `deinit`.
final class Statement {
    private let handle: OpaquePointer
    private let database: Database
    /// The statement's SQL (for error messages).
    let sql: String

    fileprivate init(database: Database, handle: OpaquePointer, sql: String) {
        self.database = database
        self.handle = handle
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    /// Binds `values` to parameters 1, 2, ... in order.
    func bind(_ values: [SQLValue]) throws(StoreError) {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case .null:
                status = sqlite3_bind_null(handle, index)
            case .integer(let number):
                status = sqlite3_bind_int64(handle, index, number)
            case .text(let text):
                // SQLITE_TRANSIENT: SQLite copies the bytes, so the Swift string's storage
                // need not outlive this call.
                status = sqlite3_bind_text(handle, index, text, -1, facelet_sqlite_transient)
            case .blob(let data):
                status = data.withUnsafeBytes { raw in
                    sqlite3_bind_blob64(handle, index, raw.baseAddress, UInt64(raw.count),
                                        facelet_sqlite_transient)
                }
            }
            guard status == SQLITE_OK else { throw database.error(status, sql: sql) }
        }
    }

    /// Advances to the next row: `true` if there is one, `false` when done.
    func step() throws(StoreError) -> Bool {
        let status = sqlite3_step(handle)
        switch status {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw database.error(status, sql: sql)
        }
    }

    /// Rewinds the statement and clears its bindings so it can run again.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Whether column `index` of the current row is NULL.
    func isNull(_ index: Int32) -> Bool {
        sqlite3_column_type(handle, index) == SQLITE_NULL
    }

    /// Column `index` of the current row as an integer.
    func int64(_ index: Int32) -> Int64 {
        sqlite3_column_int64(handle, index)
    }

    /// Column `index` of the current row as text (empty for NULL).
    func text(_ index: Int32) -> String {
        guard let bytes = sqlite3_column_text(handle, index) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, index))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    /// Column `index` of the current row as text, or nil for NULL.
    func optionalText(_ index: Int32) -> String? {
        isNull(index) ? nil : text(index)
    }
}
