import Foundation
import Testing
@testable import FaceletPackage

@Suite struct ManifestTests {
    @Test func validBankAndBackboneManifestsPass() throws {
        try Fixtures.bankManifest().validate()
        try Fixtures.backboneManifest().validate()
    }

    @Test func canonicalJSONIsSortedCompactAndUnescaped() {
        let manifest = Manifest(kind: .bank, name: "beard", version: "2",
                                description: "a/b \"q\" é\n",
                                backbone: Digest(validHex: String(repeating: "ab", count: 32)),
                                levels: ["relu4_1"],
                                strength: StrengthRange(default: 1, min: -1, max: 2.5),
                                bank: BankDescription(padding: [.reflect, .zero, .reflect]),
                                provenance: ["k": "100", "epochs": "40"],
                                tensors: ["relu4_1.0.bias": String(repeating: "0", count: 64)])
        let expected = #"{"backbone":"sha256:"# + String(repeating: "ab", count: 32)
            + #"","bank":{"padding":["reflect","zero","reflect"]},"#
            + #""description":"a/b \"q\" é\n","kind":"bank","levels":["relu4_1"],"#
            + #""name":"beard","provenance":{"epochs":"40","k":"100"},"#
            + #""strength":{"default":1,"max":2.5,"min":-1},"#
            + #""tensors":{"relu4_1.0.bias":""# + String(repeating: "0", count: 64) + #""},"#
            + #""version":"2"}"#
        #expect(String(decoding: manifest.canonicalJSON(), as: UTF8.self) == expected)
    }

    @Test func decodesTheDocumentedExampleShape() throws {
        let text = """
            {"kind": "bank", "name": "beard", "version": "2", "description": "Adds a full beard.",
             "backbone": "sha256:\(String(repeating: "4f", count: 32))",
             "levels": ["relu3_1", "relu4_1", "relu5_1"],
             "strength": {"default": 1.0, "min": -1.0, "max": 2.0},
             "bank": {"padding": ["zero", "zero", "zero"]},
             "provenance": {"method": "facelet", "k": "100", "epochs": "40"},
             "tensors": {"relu3_1.0.weight": "\(String(repeating: "9b", count: 32))"}}
            """
        let manifest = try Manifest.decode(Data(text.utf8))
        try manifest.validate()
        #expect(manifest.levels == ["relu3_1", "relu4_1", "relu5_1"])
        #expect(manifest.strength == StrengthRange(default: 1, min: -1, max: 2))
        #expect(manifest.backbone?.hex == String(repeating: "4f", count: 32))
    }

    @Test func aFractionWhereAWholeNumberBelongsIsNamedAsSuch() throws {
        let text = """
            {"kind": "bank", "name": "warm", "version": "1", "description": "",
             "backbone": "sha256:\(String(repeating: "4f", count: 32))", "levels": ["relu3_1"],
             "strength": {"default": 1.0, "min": -1.0, "max": 2.0},
             "bank": {"padding": ["zero", "zero", "zero"], "guide": {"radius": 1.5,
                      "epsilon": 0.001}},
             "provenance": {}, "tensors": {}}
            """
        #expect {
            _ = try Manifest.decode(Data(text.utf8))
        } throws: { error in
            let error = error as? PackageError
            return error?.code == .badManifest
                && error?.message.contains("a number does not fit its field") == true
        }
        // The same manifest with a whole radius decodes.
        let whole = try Manifest.decode(Data(text.replacingOccurrences(of: "1.5",
                                                                       with: "12").utf8))
        #expect(whole.bank?.guide?.radius == 12)
    }

    @Test(arguments: [
        ("kind", "{\"name\":\"a\"}"),
        ("digest", "{\"kind\":\"bank\",\"name\":\"a\",\"version\":\"1\",\"description\":\"\","
            + "\"backbone\":\"sha1:00\",\"strength\":{\"default\":0,\"min\":0,\"max\":0},"
            + "\"provenance\":{},\"tensors\":{}}"),
    ])
    func decodeRefusesMissingOrMalformedFields(_ label: String, _ text: String) {
        #expect(code { _ = try Manifest.decode(Data(text.utf8)) } == .badManifest)
    }

    /// Each mutation of a valid manifest and the code `validate()` must give.
    static let breakages: [(String, @Sendable (inout Manifest) -> Void, PackageError.Code)] = [
        ("bank without backbone", { $0.backbone = nil }, .badManifest),
        ("bank without levels", { $0.levels = nil }, .badManifest),
        ("bank with empty levels", { $0.levels = [] }, .badManifest),
        ("bank with a level twice", { $0.levels = ["relu3_1", "relu3_1"] }, .badManifest),
        ("bank with an empty level name", { $0.levels = [""] }, .badManifest),
        ("bank without description", { $0.bank = nil }, .badManifest),
        ("bank with two paddings", { $0.bank = BankDescription(padding: [.zero, .zero]) },
         .badManifest),
        ("bank with replicate padding",
         { $0.bank = BankDescription(padding: [.zero, .replicate, .zero]) }, .badManifest),
        ("bank with architecture", { $0.architecture = Fixtures.architecture }, .badManifest),
        ("default above max", { $0.strength = StrengthRange(default: 3, min: -1, max: 2) },
         .badManifest),
        ("min above default", { $0.strength = StrengthRange(default: 0, min: 1, max: 2) },
         .badManifest),
        ("non-finite strength", { $0.strength.max = .infinity }, .badManifest),
        ("bad tensor hash", { $0.tensors = ["relu3_1.0.bias": "XYZ"] }, .badManifest),
        ("empty tensor name", { $0.tensors = ["": String(repeating: "0", count: 64)] },
         .badTensorName),
        ("bad name", { $0.name = "Beard" }, .badName),
        ("bad version", { $0.version = "" }, .badVersion),
        ("backbone without architecture", { $0.kind = .backbone }, .badManifest),
    ]

    @Test(arguments: 0..<breakages.count)
    func validateRefusesBrokenManifests(_ index: Int) {
        let (label, mutate, expected) = Self.breakages[index]
        var manifest = Fixtures.bankManifest()
        mutate(&manifest)
        #expect(code { try manifest.validate() } == expected, "\(label)")
    }

    @Test func backboneRefusesBankFieldsAndBadArchitecture() {
        var withLevels = Fixtures.backboneManifest()
        withLevels.levels = ["relu3_1"]
        #expect(code { try withLevels.validate() } == .badManifest)
        var broken = Fixtures.backboneManifest()
        broken.architecture?.output = .difference
        broken.architecture?.levels[0].channels += 1
        #expect(code { try broken.validate() } == .badArchitecture)
    }
}
