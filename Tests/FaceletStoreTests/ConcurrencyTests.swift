import FaceletPackage
import Foundation
import Testing
@testable import FaceletStore

/// Results gathered from several threads.
private final class Outcomes: @unchecked Sendable {
    // @unchecked Sendable: `items` is only touched with `lock` held.
    private let lock = NSLock()
    private var items: [Result<PublishOutcome, StoreError>] = []

    func add(_ item: Result<PublishOutcome, StoreError>) {
        lock.lock()
        items.append(item)
        lock.unlock()
    }

    var all: [Result<PublishOutcome, StoreError>] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}

@Suite struct ConcurrencyTests {
    /// Publishes `packages[i]` through `stores[i]`, all at once, one thread each.
    private func publishConcurrently(_ stores: [Store],
                                     _ packages: [[Package]]) -> [Result<PublishOutcome,
                                                                        StoreError>] {
        let outcomes = Outcomes()
        DispatchQueue.concurrentPerform(iterations: stores.count) { index in
            for package in packages[index] {
                do {
                    outcomes.add(.success(try stores[index].publish(package)))
                } catch let error as StoreError {
                    outcomes.add(.failure(error))
                } catch {
                    outcomes.add(.failure(StoreError(.io, "\(error)")))
                }
            }
        }
        return outcomes.all
    }

    @Test func twoConnectionsPublishingAtOnceBothSucceed() throws {
        try withTemporaryStore { store, directory in
            let backbone = try Fixtures.backbone()
            _ = try store.publish(backbone)
            let other = try Store.open(at: directory)
            let digest = backbone.contentDigest
            let banks = try ["beard", "smile"].map { name in
                try (1...5).map { version in
                    try Fixtures.bank(name: name, version: String(version), backbone: digest,
                                      changed: ["relu3_1.0.bias"], variant: version)
                }
            }
            let results = publishConcurrently([store, other], banks)
            #expect(results.count == 10)
            #expect(results.allSatisfy { (try? $0.get())?.alreadyPresent == false })

            let list = try store.list()
            #expect(list.map(\.name) == ["beard", "smile", "vgg19-tiny"])
            #expect(list[0].versions == ["1", "2", "3", "4", "5"])
            #expect(list[1].latest == "5")
            #expect(try store.changeCounter() == 11)
            #expect(try other.verify().isClean)
        }
    }

    @Test func conflictingConcurrentPublishesLetExactlyOneWin() throws {
        try withTemporaryStore { store, directory in
            let backbone = try Fixtures.backbone()
            _ = try store.publish(backbone)
            let other = try Store.open(at: directory)
            let digest = backbone.contentDigest
            let first = try Fixtures.bank(backbone: digest, changed: ["relu3_1.0.bias"],
                                          variant: 1)
            let second = try Fixtures.bank(backbone: digest, changed: ["relu3_1.0.bias"],
                                           variant: 2)
            let results = publishConcurrently([store, other], [[first], [second]])
            let winners = results.compactMap { try? $0.get() }
            let losers = results.compactMap { result -> StoreError? in
                if case .failure(let error) = result { return error }
                return nil
            }
            #expect(winners.count == 1)
            #expect(losers.map(\.code) == [.versionConflict])
            let stored = try store.resolve(ref("beard:1")).digest
            #expect(stored == winners.first?.digest)
            #expect(try store.verify().isClean)
        }
    }

    @Test func oneStoreSharedByThreadsSerialisesCalls() throws {
        try withTemporaryStore { store, _ in
            let backbone = try Fixtures.backbone()
            _ = try store.publish(backbone)
            let banks = try (1...4).map { version in
                [try Fixtures.bank(version: String(version), backbone: backbone.contentDigest,
                                   changed: ["relu4_1.2.bias"], variant: version)]
            }
            let results = publishConcurrently(Array(repeating: store, count: 4), banks)
            #expect(results.allSatisfy { (try? $0.get()) != nil })
            #expect(try store.list()[0].versions == ["1", "2", "3", "4"])
        }
    }

    @Test func gcRunningAlongsidePublishesNeverTakesTheirBlobs() throws {
        try withTemporaryStore { store, directory in
            let backbone = try Fixtures.backbone()
            _ = try store.publish(backbone)
            let collector = try Store.open(at: directory)
            let banks = try (1...6).map { version in
                try Fixtures.bank(version: String(version), backbone: backbone.contentDigest,
                                  changed: Set(Fixtures.bankTensorNames(level: "relu4_1")),
                                  variant: version)
            }
            let gcFailures = Outcomes()
            let results = Outcomes()
            DispatchQueue.concurrentPerform(iterations: 2) { index in
                if index == 0 {
                    for bank in banks {
                        do {
                            results.add(.success(try store.publish(bank)))
                        } catch {
                            results.add(.failure(error as? StoreError
                                                 ?? StoreError(.io, "\(error)")))
                        }
                    }
                } else {
                    for _ in 0..<6 {
                        do {
                            _ = try collector.gc()
                        } catch {
                            gcFailures.add(.failure(error as? StoreError
                                                    ?? StoreError(.io, "\(error)")))
                        }
                    }
                }
            }
            #expect(results.all.count == 6)
            #expect(results.all.allSatisfy { (try? $0.get()) != nil })
            #expect(gcFailures.all.isEmpty)
            let report = try store.verify()
            #expect(report.isClean)
            for bank in banks {
                #expect(try store.loadPackage(Reference(name: "beard",
                                                        selector: .version(bank.manifest.version)))
                            .contentDigest == bank.contentDigest)
            }
        }
    }
}
