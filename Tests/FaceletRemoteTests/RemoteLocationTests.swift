import Testing
@testable import FaceletRemote

@Suite struct RemoteLocationTests {
    @Test(arguments: [
        ("http://127.0.0.1:8650", RemoteLocation.http(base: "http://127.0.0.1:8650/")),
        ("https://cdn.example.com/facelet/", .http(base: "https://cdn.example.com/facelet/")),
        ("file:///srv/mirror", .directory(path: "/srv/mirror")),
        ("file:///srv/mirror/../other", .directory(path: "/srv/other")),
    ])
    func parsesSupportedURLs(text: String, expected: RemoteLocation) throws {
        #expect(try RemoteLocation(parsing: text) == expected)
    }

    @Test(arguments: [
        "ftp://host/dir", "http://user:secret@host", "http://", "file://host/dir",
        "file:relative/dir", "http://host/?token=x", "not a url", "",
    ])
    func refusesOtherURLs(text: String) {
        let error = thrownError { _ = try RemoteLocation(parsing: text) } as? RemoteError
        #expect(error?.code == .badRemote)
        #expect(error?.message.contains("secret") == false)
    }

    @Test func urlsAreBasePlusAPIPath() throws {
        let location = try RemoteLocation(parsing: "http://host:1/base")
        #expect(location.url("v1/index") == "http://host:1/base/v1/index")
        #expect(location.description == "http://host:1/base")
    }
}
