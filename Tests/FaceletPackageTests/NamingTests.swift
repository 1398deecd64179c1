import Testing
@testable import FaceletPackage

@Suite struct NamingTests {
    @Test(arguments: ["beard", "a", "0", "old-age_2.1", String(repeating: "x", count: 64)])
    func acceptsValidNames(_ name: String) throws {
        try Naming.validateName(name)
    }

    @Test(arguments: ["", "Beard", ".hidden", "-x", "_x", "a/b", "a\\b", "a..b", "a\u{0}b",
                      "a b", "é", String(repeating: "x", count: 65)])
    func refusesBadNames(_ name: String) {
        #expect(code { try Naming.validateName(name) } == .badName)
    }

    @Test(arguments: ["2", "v2", "V2.1-rc_1", "2026.12.03"])
    func acceptsValidVersionsAndTags(_ text: String) throws {
        try Naming.validateVersion(text)
        try Naming.validateTag(text)
    }

    @Test(arguments: ["", ".1", "1..2", "1/2", "..", "v 2", String(repeating: "1", count: 65)])
    func refusesBadVersionsAndTags(_ text: String) {
        #expect(code { try Naming.validateVersion(text) } == .badVersion)
        #expect(code { try Naming.validateTag(text) } == .badTag)
    }
}

/// The code of the `PackageError` `body` throws, or nil when it does not throw.
/// (Any other error gives the code `unexpected-error-type`, which no test expects.)
func code(_ body: () throws -> Void) -> PackageError.Code? {
    do {
        try body()
        return nil
    } catch let error as PackageError {
        return error.code
    } catch {
        return PackageError.Code(rawValue: "unexpected-error-type")
    }
}
