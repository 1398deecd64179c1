import CSQLite
import Foundation
import Testing
@testable import FaceletStore

@Suite struct DatabaseTests {
    @Test func errorsCarryResultCodeMessageAndSQL() throws {
        try withTemporaryStore { store, _ in
            let sql = "SELECT x FROM nowhere"
            let error = storeError { _ = try store.database.prepare(sql) }
            #expect(error?.code == .database)
            #expect(error?.sql == sql)
            #expect(error?.sqliteResultCode == SQLITE_ERROR)
            #expect(error?.message.contains("no such table: nowhere") == true)
            #expect(error?.path?.hasSuffix("store.sqlite") == true)
        }
    }

    @Test func constraintViolationsAreReportedWithTheExtendedCode() throws {
        try withTemporaryStore { store, _ in
            let error = storeError {
                try store.database.run(
                    "INSERT INTO audit_log (at, action, subject, detail_json) "
                        + "VALUES ('t', 'launch', 's', '{}')")
            }
            // SQLITE_CONSTRAINT_CHECK is (SQLITE_CONSTRAINT | (1<<8)), a macro Swift cannot import.
            #expect(error?.sqliteResultCode == SQLITE_CONSTRAINT | (1 << 8))
        }
    }

    @Test func failedTransactionsRollBack() throws {
        try withTemporaryStore { (store: Store, _: URL) throws in
            let failure = storeError {
                try store.database.transaction(.immediate) { () throws(StoreError) in
                    try store.audit(.gc, "store", [:])
                    throw StoreError(.io, "stop")
                }
            }
            #expect(failure?.code == .io)
            #expect(try store.auditLog(limit: 5).isEmpty)
            #expect(try store.changeCounter() == 0)
        }
    }

    @Test func creatingTheSameStoreFromTwoThreadsAtOnceWorks() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("facelet-race-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do {
                _ = try Store.create(at: directory)
            } catch {
                failures.add("\(error)")
            }
        }
        #expect(failures.all.isEmpty, "\(failures.all)")
        let store = try Store.open(at: directory)
        let applied = try store.database.firstRow("SELECT count(*) FROM schema_migrations") {
            $0.int64(0)
        }
        #expect(applied == Int64(Migration.embedded.count))
    }

    @Test func aNameIsFreeForTheOtherKindOnceItsLastVersionIsGone() throws {
        try withTemporaryStore { store, _ in
            let backbone = try Fixtures.backbone()
            _ = try store.publish(backbone)
            _ = try store.publish(Fixtures.bank(name: "shared", backbone: backbone.contentDigest))
            try store.remove(ref("shared"))
            let other = try Fixtures.backbone(name: "shared", seed: 3)
            #expect(try store.publish(other).alreadyPresent == false)
            #expect(try store.resolve(ref("shared")).kind == .backbone)
        }
    }
}

/// Error descriptions gathered from several threads.
private final class Failures: @unchecked Sendable {
    // @unchecked Sendable: `items` is only touched with `lock` held.
    private let lock = NSLock()
    private var items: [String] = []

    func add(_ item: String) {
        lock.withLock { items.append(item) }
    }

    var all: [String] {
        lock.withLock { items }
    }
}
