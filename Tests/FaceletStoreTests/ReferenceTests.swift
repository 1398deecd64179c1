import Testing
@testable import FaceletStore

@Suite struct ReferenceTests {
    @Test(arguments: [
        ("beard", "beard", Reference.Selector.latest, "beard"),
        ("beard:2", "beard", .version("2"), "beard:2"),
        ("vgg19-tiny:1.0.3", "vgg19-tiny", .version("1.0.3"), "vgg19-tiny:1.0.3"),
        ("beard@stable", "beard", .tag("stable"), "beard@stable"),
        ("beard@latest", "beard", .latest, "beard"),
        ("a.b_c-d:RC1", "a.b_c-d", .version("RC1"), "a.b_c-d:RC1"),
    ])
    func parsesValidReferences(text: String, name: String, selector: Reference.Selector,
                               printed: String) throws {
        let reference = try Reference(parsing: text)
        #expect(reference.name == name)
        #expect(reference.selector == selector)
        #expect(reference.description == printed)
    }

    @Test(arguments: [
        "", "../x", "/abs", "x/y", "be\0ard", String(repeating: "a", count: 300),
        "beard:", "beard@", ":1", "@tag", "Beard", ".hidden", "beard:../1", "beard:1/2",
        "beard@a/b", "beard:1:2", "beard@x:y", "beard:" + String(repeating: "1", count: 65),
        "beard@\0", "be ard", "beard:a..b",
    ])
    func refusesMalformedReferences(text: String) {
        #expect(storeErrorCode { _ = try Reference(parsing: text) } == .invalidReference)
    }

    @Test func versionsSortNaturally() {
        let sorted = ["10", "9", "1.10", "1.9", "1", "2a", "2", "1.0", "1.00"]
            .sorted(by: NaturalOrder.less)
        #expect(sorted == ["1", "1.0", "1.00", "1.9", "1.10", "2", "2a", "9", "10"])
        #expect(NaturalOrder.less("v2", "v10"))
        #expect(!NaturalOrder.less("v10", "v2"))
        #expect(!NaturalOrder.less("3", "3"))
    }
}
