import FaceletPackage
import Foundation
import Testing
@testable import FaceletStore

@Suite struct MaintenanceTests {
    /// A store with the tiny backbone and bank beard:1 published.
    private func seeded(
        _ body: (Store, URL, Package, Package) throws -> Void
    ) throws {
        try withTemporaryStore { store, directory in
            let backbone = try Fixtures.backbone()
            _ = try store.publish(backbone)
            let bank = try Fixtures.bank(backbone: backbone.contentDigest)
            _ = try store.publish(bank)
            try body(store, directory, backbone, bank)
        }
    }

    // MARK: - Tags

    @Test func tagsPointAtVersionsAndMove() throws {
        try seeded { store, _, backbone, _ in
            _ = try store.publish(Fixtures.bank(version: "2", backbone: backbone.contentDigest,
                                                changed: ["relu3_1.0.bias"]))
            try store.tag(ref("beard:1"), as: "stable")
            #expect(try store.resolve(ref("beard@stable")).version == "1")
            #expect(try store.show(ref("beard:1")).tags == ["stable"])
            #expect(try store.show(ref("beard:2")).tags == ["latest"])
            #expect(try store.list()[0].tags == ["latest": "2", "stable": "1"])

            try store.tag(ref("beard:2"), as: "stable")
            #expect(try store.resolve(ref("beard@stable")).version == "2")
            let entry = try store.auditLog(limit: 1)[0]
            #expect(entry.action == .tag && entry.subject == "beard@stable")
            #expect(entry.detailJSON.contains(#""previous":"1""#))
        }
    }

    @Test func refusesToSetLatestOrAMalformedTag() throws {
        try seeded { store, _, _, _ in
            #expect(storeErrorCode { try store.tag(ref("beard:1"), as: "latest") } == .reservedTag)
            #expect(storeErrorCode { try store.tag(ref("beard:1"), as: "../x") }
                    == .invalidReference)
            #expect(storeErrorCode { try store.tag(ref("beard:5"), as: "stable") } == .notFound)
        }
    }

    // MARK: - Remove

    @Test func removeDropsTheVersionAndMovesLatest() throws {
        try seeded { store, _, backbone, _ in
            _ = try store.publish(Fixtures.bank(version: "2", backbone: backbone.contentDigest,
                                                changed: ["relu3_1.0.bias"]))
            try store.tag(ref("beard:2"), as: "stable")
            try store.tag(ref("beard:2"), as: "canary")
            #expect(try store.remove(ref("beard")) == ["canary", "stable"])
            let detail = try store.auditLog(limit: 1)[0].detailJSON
            #expect(detail.contains("\"dropped_tags\":\"canary,stable\""))
            #expect(try store.list()[0].versions == ["1"])
            #expect(try store.resolve(ref("beard")).version == "1")
            #expect(storeErrorCode { _ = try store.resolve(ref("beard@stable")) } == .notFound)
            #expect(try store.remove(ref("beard:1")) == [])
            #expect(try !store.auditLog(limit: 1)[0].detailJSON.contains("dropped_tags"))
            #expect(try store.list().map(\.name) == ["vgg19-tiny"])
            #expect(try store.auditLog(limit: 1)[0].action == .rm)
        }
    }

    @Test func refusesToRemoveABackboneThatBanksAreBoundTo() throws {
        try seeded { store, _, backbone, _ in
            _ = try store.publish(Fixtures.bank(name: "smile", backbone: backbone.contentDigest))
            let error = storeError { try store.remove(ref("vgg19-tiny:1")) }
            #expect(error?.code == .backboneInUse)
            #expect(error?.message.contains("beard:1, smile:1") == true)
            #expect(try store.resolve(ref("vgg19-tiny")).digest == backbone.contentDigest)

            try store.remove(ref("beard:1"))
            try store.remove(ref("smile:1"))
            try store.remove(ref("vgg19-tiny:1"))
            #expect(try store.list().isEmpty)
        }
    }

    // MARK: - Diff

    @Test func diffNamesExactlyTheChangedTensors() throws {
        try seeded { store, _, backbone, bank in
            let changed: Set = ["relu4_1.1.weight", "relu3_1.2.bias"]
            _ = try store.publish(Fixtures.bank(version: "2", backbone: backbone.contentDigest,
                                                changed: changed))
            let diff = try store.diff(ref("beard:1"), ref("beard:2"))
            #expect(diff.changed == changed.sorted())
            #expect(diff.added.isEmpty && diff.removed.isEmpty)
            #expect(diff.unchanged == bank.tensors.map(\.name).filter { !changed.contains($0) })

            let same = try store.diff(ref("beard:1"), ref("beard:1"))
            #expect(same.changed.isEmpty && same.unchanged.count == 12)
        }
    }

    @Test func diffListsAddedAndRemovedTensors() throws {
        try seeded { store, _, backbone, _ in
            let diff = try store.diff(ref("vgg19-tiny"), ref("beard"))
            #expect(diff.changed.isEmpty && diff.unchanged.isEmpty)
            #expect(diff.added.count == 12)
            #expect(diff.removed == backbone.tensors.map(\.name).sorted())
        }
    }

    // MARK: - Verify

    @Test func verifyIsCleanOnAFreshStore() throws {
        try seeded { store, _, backbone, bank in
            let report = try store.verify()
            #expect(report.isClean)
            let distinct = Set(backbone.tensors.map(\.sha256) + bank.tensors.map(\.sha256))
            #expect(report.checkedBlobs == distinct.count)
            #expect(report.unreferencedBlobs == 0)
        }
    }

    @Test func verifyFindsAFlippedByteAndNamesTheVersion() throws {
        try seeded { store, _, _, bank in
            let target = try #require(bank["relu4_1.2.weight"])
            let path = store.blobPath(target.sha256)
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            bytes[17] ^= 0x01
            try bytes.write(to: URL(fileURLWithPath: path))

            let report = try store.verify()
            #expect(!report.isClean)
            #expect(report.damaged == [DamagedBlob(digest: target.sha256, path: path,
                                                   missing: false,
                                                   actual: Digest.sha256(bytes),
                                                   versions: ["beard:1"])])
            #expect(storeErrorCode { _ = try store.loadPackage(ref("beard")) } == .integrity)
            #expect(storeErrorCode { _ = try store.export(ref("beard")) } == .integrity)
            #expect(try store.loadPackage(ref("vgg19-tiny")).tensors.count > 0)
        }
    }

    @Test func verifyReportsAMissingBlob() throws {
        try seeded { store, _, _, bank in
            let target = try #require(bank["relu3_1.0.bias"])
            try FileManager.default.removeItem(atPath: store.blobPath(target.sha256))
            let report = try store.verify()
            #expect(report.damaged.map(\.digest) == [target.sha256])
            #expect(report.damaged.first?.missing == true)
            #expect(report.damaged.first?.versions == ["beard:1"])
        }
    }

    // MARK: - Garbage collection

    /// Writes `name` in partial/, last modified `age` seconds ago.
    private func partialFile(_ store: Store, _ name: String, age: Double) throws -> String {
        let path = "\(try store.partialDirectory())/\(name)"
        try Data("bytes".utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes(
            [.modificationDate: Date().addingTimeInterval(-age)], ofItemAtPath: path)
        return path
    }

    @Test func gcRemovesPartialFilesOlderThanADay() throws {
        try seeded { store, _, _, _ in
            let day = Store.partialMaxAge
            let stale = try partialFile(store, "aa.part", age: day + 3600)
            let staleRecord = try partialFile(store, "aa.json", age: day + 60)
            let fresh = try partialFile(store, "bb.part", age: day - 3600)

            let report = try store.gc()
            #expect(report.removedPartialFiles == ["aa.json", "aa.part"])
            #expect(!FileManager.default.fileExists(atPath: stale))
            #expect(!FileManager.default.fileExists(atPath: staleRecord))
            #expect(FileManager.default.fileExists(atPath: fresh))
            #expect(try store.verify().isClean)
        }
    }

    @Test func gcLeavesPartialAloneWhileAPullRuns() throws {
        try seeded { store, directory, _, _ in
            let stale = try partialFile(store, "aa.part", age: Store.partialMaxAge * 2)
            let puller = try Store.open(at: directory)
            let pullLock = try puller.lockForPull(timeout: 1)
            defer { withExtendedLifetime(pullLock) {} }

            let report = try store.gc()
            #expect(report.removedPartialFiles == [])
            #expect(FileManager.default.fileExists(atPath: stale))
        }
    }

    @Test func gcRemovesOrphansAndStrayStagingFilesOnly() throws {
        try seeded { store, directory, backbone, bank in
            let orphanBytes = Data("orphan".utf8)
            let orphan = Digest.sha256(orphanBytes)
            let orphanPath = store.blobPath(orphan)
            try FileManager.default.createDirectory(
                atPath: (orphanPath as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true)
            try orphanBytes.write(to: URL(fileURLWithPath: orphanPath))
            let referencedPrefixes = Set((backbone.tensors + bank.tensors).map {
                String($0.sha256.hex.prefix(2))
            })
            let unused = (0..<256).map { String(format: "%02x", $0) }
                .first { !referencedPrefixes.contains($0) && $0 != orphan.hex.prefix(2) } ?? "zz"
            let blobRoot = ((store.blobPath(orphan) as NSString).deletingLastPathComponent
                as NSString).deletingLastPathComponent
            let emptyFanOut = "\(blobRoot)/\(unused)"
            try FileManager.default.createDirectory(atPath: emptyFanOut,
                                                    withIntermediateDirectories: true)
            let stray = directory.appendingPathComponent("tmp/abandoned.blob")
            try Data("half".utf8).write(to: stray)
            #expect(try store.verify().unreferencedBlobs == 1)

            let report = try store.gc()
            #expect(report.removedBlobs == [orphan])
            #expect(report.removedBytes == Int64(orphanBytes.count))
            #expect(report.removedTempFiles == ["abandoned.blob"])
            let referenced = Set(backbone.tensors.map(\.sha256) + bank.tensors.map(\.sha256))
            #expect(report.keptBlobs == referenced.count)
            #expect(!FileManager.default.fileExists(atPath: orphanPath))
            // Its fan-out directory held nothing else, so it went too; the others stay.
            let fanOut = (orphanPath as NSString).deletingLastPathComponent
            let holdsReferenced = referenced.contains { $0.hex.prefix(2) == orphan.hex.prefix(2) }
            #expect(FileManager.default.fileExists(atPath: fanOut) == holdsReferenced)
            #expect(!FileManager.default.fileExists(atPath: emptyFanOut))
            for digest in referenced {
                #expect(FileManager.default.fileExists(atPath: store.blobPath(digest)))
            }
            #expect(!FileManager.default.fileExists(atPath: stray.path))
            #expect(try store.verify().isClean)
            #expect(try store.loadPackage(ref("beard")).contentDigest == bank.contentDigest)
            #expect(try store.auditLog(limit: 1)[0].action == .gc)
        }
    }

    @Test func blobsSharedBetweenVersionsSurviveRemovingOne() throws {
        try seeded { store, _, backbone, first in
            let changed = Set(Fixtures.bankTensorNames(level: "relu4_1"))
            let second = try Fixtures.bank(version: "2", backbone: backbone.contentDigest,
                                           changed: changed)
            _ = try store.publish(second)
            let shared = Set(first.tensors.map(\.sha256)).intersection(second.tensors.map(\.sha256))
            #expect(shared.count == 6)

            try store.remove(ref("beard:1"))
            let report = try store.gc()
            let onlyFirst = Set(first.tensors.map(\.sha256))
                .subtracting(second.tensors.map(\.sha256))
            #expect(Set(report.removedBlobs) == onlyFirst)
            for digest in shared {
                #expect(FileManager.default.fileExists(atPath: store.blobPath(digest)))
            }
            #expect(try store.loadPackage(ref("beard:2")).contentDigest == second.contentDigest)
            #expect(try store.verify().isClean)
        }
    }

    @Test func gcWaitsForPublishesHoldingTheLock() throws {
        try seeded { store, directory, _, _ in
            // A publish in progress elsewhere holds store.lock shared while its blobs are
            // unreferenced; gc must not run (it gives up with .busy after the timeout).
            let staged = directory.appendingPathComponent("tmp/in-progress.blob")
            try Data("staged".utf8).write(to: staged)
            let publisher = try FileLock(path: store.lockFilePath, mode: .shared, timeout: 1)
            store.fileLockTimeout = 0.05
            #expect(storeErrorCode { _ = try store.gc() } == .busy)
            #expect(FileManager.default.fileExists(atPath: staged.path))
            withExtendedLifetime(publisher) {}
        }
    }

    @Test func publishWaitsForARunningGC() throws {
        try withTemporaryStore { store, _ in
            let collector = try FileLock(path: store.lockFilePath, mode: .exclusive, timeout: 1)
            store.fileLockTimeout = 0.05
            #expect(storeErrorCode { _ = try store.publish(Fixtures.backbone()) } == .busy)
            #expect(try store.list().isEmpty)
            withExtendedLifetime(collector) {}
        }
    }

    // MARK: - Change counter and audit

    @Test func changeCounterGrowsWithEveryWrite() throws {
        try withTemporaryStore { store, _ in
            #expect(try store.changeCounter() == 0)
            let backbone = try Fixtures.backbone()
            _ = try store.publish(backbone)
            #expect(try store.changeCounter() == 1)
            _ = try store.publish(Fixtures.bank(backbone: backbone.contentDigest))
            try store.tag(ref("beard:1"), as: "stable")
            try store.tag(ref("beard:1"), as: "stable")  // unchanged: no write
            #expect(try store.changeCounter() == 3)
            try store.remove(ref("beard:1"))
            _ = try store.gc()
            #expect(try store.changeCounter() == 5)
            let actions = try store.auditLog(limit: 10).map(\.action)
            #expect(actions == [.gc, .rm, .tag, .publish, .publish])
            #expect(try store.auditLog(limit: 2).map(\.subject) == ["store", "beard:1"])
        }
    }

    @Test func anotherConnectionSeesTheCounterMove() throws {
        try withTemporaryStore { store, directory in
            let watcher = try Store.open(at: directory)
            let before = try watcher.changeCounter()
            _ = try store.publish(Fixtures.backbone())
            #expect(try watcher.changeCounter() == before + 1)
            #expect(try watcher.list().map(\.name) == ["vgg19-tiny"])
        }
    }
}

@Suite struct RepairTests {
    @Test func publishingADamagedVersionAgainRepairsItsBlob() throws {
        try withTemporaryStore { store, _ in
            let backbone = try Fixtures.backbone()
            _ = try store.publish(backbone)
            let bank = try Fixtures.bank(backbone: backbone.contentDigest)
            _ = try store.publish(bank)
            let target = try #require(bank["relu3_1.1.weight"])
            let url = URL(fileURLWithPath: store.blobPath(target.sha256))
            var bytes = try Data(contentsOf: url)
            bytes[3] ^= 0x80
            try bytes.write(to: url)
            #expect(try store.verify().damaged.map(\.versions) == [["beard:1"]])

            let counter = try store.changeCounter()
            #expect(try store.publish(bank).alreadyPresent)
            #expect(try store.changeCounter() == counter)
            #expect(try store.verify().isClean)
            #expect(try store.loadPackage(ref("beard")).contentDigest == bank.contentDigest)
        }
    }
}
