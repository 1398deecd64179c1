import Foundation
import Testing

/// `bench` prints one JSON object per stage with the peer's field names.
@Suite(.serialized) struct BenchCommandTests {
    @Test func printsOneObjectPerStageWithThePeersFields() throws {
        let fixture = try CLIFixture()
        let result = fixture.run("bench", "--json", "--size", "32", "--threads", "1",
                                 "--runs", "1", "--warmup", "0", "--width", "0.0625",
                                 "--stages", "encoder,full")
        #expect(result.status == 0)
        let objects = try result.stdout.split(separator: "\n").map { line in
            try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        let stages = objects.compactMap { $0["stage"] as? String }
        #expect(stages == ["encoder", "full"])
        for object in objects {
            #expect(object["size"] as? Int == 32)
            #expect(object["threads"] as? Int == 1)
            #expect((object["median_s"] as? Double).map { $0 > 0 } == true)
            #expect(object["gflop"] != nil && object["gflops"] != nil)
        }
    }

    @Test func refusesASizeThatIsNotAMultipleOf16() throws {
        let result = try CLIFixture().run("bench", "--size", "33")
        #expect(result.status == 2)
        #expect(result.stderrLines.count == 1)
    }
}
