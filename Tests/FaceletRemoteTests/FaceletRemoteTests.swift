import Testing
@testable import FaceletRemote

@Suite struct FaceletRemoteModuleTests {
    @Test func moduleLinks() { #expect(Bool(true)) }
}
