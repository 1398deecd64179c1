import Foundation
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
        "file:relative/dir", "http://host/?token=secret", "http://host/#secret", "not a url",
        "",
    ])
    func refusesOtherURLs(text: String) {
        let error = thrownError { _ = try RemoteLocation(parsing: text) } as? RemoteError
        #expect(error?.code == .badRemote)
        #expect(error?.message.contains("secret") == false)
    }

    @Test func aQueryIsNotRepeatedButThePlaceIs() {
        let error = thrownError {
            _ = try RemoteLocation(parsing: "http://127.0.0.1:18690/dir?token=rt0ken")
        } as? RemoteError
        #expect(error?.message.hasPrefix("remote 'http://127.0.0.1:18690/dir?…' has a query")
                    == true)
        #expect(error?.message.contains("rt0ken") == false)
    }

    @Test(arguments: ["abc\r\nX-Evil: injected", "two words", "tab\there", "ünïcode", "===",
                      "a=b"])
    func refusesTokensABearerHeaderCannotHold(token: String) {
        let error = thrownError {
            _ = try RegistryClient(location: RemoteLocation(parsing: "http://127.0.0.1:9"),
                                   token: token, tokenVariable: "TEAM_TOKEN")
        } as? RemoteError
        #expect(error?.code == .badToken)
        #expect(error?.message.contains("$TEAM_TOKEN") == true)
        #expect(error?.message.contains(token) == false)
    }

    @Test(arguments: ["s3cret", "abc.DEF-ghi_~+/", "dG9rZW4=", "dG9r=="])
    func acceptsBearerTokens(token: String) throws {
        #expect(HTTPTransport.isBearerToken(token))
    }

    @Test func aShortTokenIsCutOnlyFromTheServersWords() {
        let body = Data(#"{"error": {"code": "remote.unauthorized", "message": "bad remote"}}"#
                            .utf8)
        let error = HTTPTransport.httpError(status: 401, body: body, url: "http://h/v1/index",
                                            what: "the index", tokenVariable: "FACELET_TOKEN",
                                            token: "remote")
        #expect(error.message == "the index: the remote answered HTTP 401 (<redacted>.unauthorized)"
                    + ": bad <redacted>; the token in $FACELET_TOKEN was refused")
    }

    @Test func urlsAreBasePlusAPIPath() throws {
        let location = try RemoteLocation(parsing: "http://host:1/base")
        #expect(location.url("v1/index") == "http://host:1/base/v1/index")
        #expect(location.description == "http://host:1/base")
    }
}
