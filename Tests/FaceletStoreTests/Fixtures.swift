import FaceletPackage
import FaceletTestSupport
import Foundation
@testable import FaceletStore

/// The shared package fixtures, under the name the store tests use.
typealias Fixtures = PackageFixtures

/// A store in a fresh temporary directory, removed afterwards.
func withTemporaryStore(_ body: (Store, URL) throws -> Void) throws {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("facelet-store-test-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let store = try Store.create(at: directory)
    try body(store, directory)
}

/// The `StoreError` code `body` throws, or nil if it throws nothing (or something else).
func storeErrorCode(_ body: () throws -> Void) -> StoreError.Code? {
    do {
        try body()
        return nil
    } catch let error as StoreError {
        return error.code
    } catch {
        return nil
    }
}

/// The `StoreError` `body` throws, if any.
func storeError(_ body: () throws -> Void) -> StoreError? {
    do {
        try body()
        return nil
    } catch {
        return error as? StoreError
    }
}

/// Shorthand for a parsed reference in tests (the literals are valid).
func ref(_ text: String) throws -> Reference {
    try Reference(parsing: text)
}
