import FaceletPackage
import Foundation
import Testing
@testable import FaceletStore

/// Everything a user can see of a store: list, every version's details, audit log, counter.
private struct VisibleState: Equatable {
    var list: [PackageSummary]
    var details: [VersionDetail]
    var audit: [AuditEntry]
    var counter: Int64

    init(_ store: Store) throws {
        list = try store.list()
        details = try list.flatMap { summary in
            try summary.versions.map { try store.show(Reference(name: summary.name,
                                                                selector: .version($0))) }
        }
        audit = try store.auditLog(limit: 1000)
        counter = try store.changeCounter()
    }
}

/// Copies of a store directory taken at publish steps, as a crash there would leave it.
private final class CrashImages: @unchecked Sendable {
    // @unchecked Sendable: `images` is only touched with `lock` held.
    private let lock = NSLock()
    private var images: [Store.PublishStep: URL] = [:]

    /// Copies store.sqlite, its WAL, the blobs and tmp/ of `directory` (not the -shm index,
    /// which a fresh open rebuilds), once per step.
    func take(_ step: Store.PublishStep, of directory: URL) {
        lock.lock()
        defer { lock.unlock() }
        guard images[step] == nil else { return }
        let image = directory.deletingLastPathComponent()
            .appendingPathComponent("\(directory.lastPathComponent)-crash-\(step.rawValue)")
        let manager = FileManager.default
        try? manager.createDirectory(at: image, withIntermediateDirectories: true)
        for item in ["store.sqlite", "store.sqlite-wal", "blobs", "tmp"] {
            let source = directory.appendingPathComponent(item)
            if manager.fileExists(atPath: source.path) {
                try? manager.copyItem(at: source, to: image.appendingPathComponent(item))
            }
        }
        images[step] = image
    }

    var all: [Store.PublishStep: URL] {
        lock.lock()
        defer { lock.unlock() }
        return images
    }
}

@Suite struct FaultInjectionTests {
    /// Publishes the backbone and beard:1; returns the bank beard:2 (changing one level) and
    /// a thumbnail to publish with it.
    private func prepare(_ store: Store) throws -> (Package, [ThumbnailInput]) {
        let backbone = try Fixtures.backbone()
        _ = try store.publish(backbone)
        _ = try store.publish(Fixtures.bank(backbone: backbone.contentDigest))
        let next = try Fixtures.bank(version: "2", backbone: backbone.contentDigest,
                                     changed: Set(Fixtures.bankTensorNames(level: "relu4_1")))
        let thumbs = [ThumbnailInput(reference: "face01", level: "combined",
                                     png: Fixtures.png("v2"), statsJSON: "{}")]
        return (next, thumbs)
    }

    @Test(arguments: Store.PublishStep.allCases)
    func failureAtAnyStepLeavesTheStoreAsBeforeOrAfter(step: Store.PublishStep) throws {
        try withTemporaryStore { store, directory in
            let (next, thumbs) = try prepare(store)
            let before = try VisibleState(store)

            store.faultHook = { (reached) throws(StoreError) in
                if reached == step {
                    throw StoreError(.injectedFault, "simulated crash at \(reached.rawValue)")
                }
            }
            #expect(storeErrorCode { _ = try store.publish(next, thumbnails: thumbs) }
                    == .injectedFault)
            store.faultHook = nil

            // Look at it afresh, as the next process would.
            let reopened = try Store.open(at: directory)
            let state = try VisibleState(reopened)
            if step == .committed {
                #expect(try reopened.resolve(ref("beard")).digest == next.contentDigest)
                #expect(state.counter == before.counter + 1)
            } else {
                #expect(state == before)
            }
            #expect(try reopened.verify().isClean)

            _ = try reopened.gc()
            #expect(try reopened.verify().unreferencedBlobs == 0)
            _ = try reopened.publish(next, thumbnails: thumbs)
            #expect(try reopened.loadPackage(ref("beard:2")).contentDigest == next.contentDigest)
            #expect(try reopened.verify().isClean)
        }
    }

    @Test func crashImagesAtEveryStepOpenAsBeforeOrAfter() throws {
        try withTemporaryStore { store, directory in
            let (next, thumbs) = try prepare(store)
            let before = try VisibleState(store)
            let images = CrashImages()
            defer {
                for url in images.all.values { try? FileManager.default.removeItem(at: url) }
            }
            store.faultHook = { (reached) throws(StoreError) in
                images.take(reached, of: directory)
            }
            _ = try store.publish(next, thumbnails: thumbs)
            store.faultHook = nil
            let after = try VisibleState(store)
            #expect(Set(images.all.keys) == Set(Store.PublishStep.allCases))

            for (step, image) in images.all {
                let survivor = try Store.open(at: image)
                let state = try VisibleState(survivor)
                #expect(state == (step == .committed ? after : before), "crash at \(step)")
                #expect(try survivor.verify().isClean, "crash at \(step)")
                _ = try survivor.gc()
                #expect(try survivor.verify().unreferencedBlobs == 0)
                #expect(try survivor.publish(next, thumbnails: thumbs).digest
                        == next.contentDigest)
            }
        }
    }
}
