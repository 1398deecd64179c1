import Testing
@testable import FaceletRegistryServer

@Suite struct FaceletRegistryServerModuleTests {
    @Test func moduleLinks() { #expect(Bool(true)) }
}
