import Testing
@testable import FaceletHTTP

@Suite struct FaceletHTTPModuleTests {
    @Test func moduleLinks() { #expect(Bool(true)) }
}
