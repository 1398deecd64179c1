import FaceletImport
import FaceletPackage
import Foundation
import Testing

/// The original release's backbone and bank as packages, shared by several suites.
enum OriginalRelease {
    static func backbone(batchnorm: BatchNormMode = .instance) throws -> Package {
        let encoder = try Importer.weights(contentsOf: Fixture.url("original_encoder.pth"))
        let decoder = try Importer.weights(contentsOf: Fixture.url("original_decoder.pth"))
        return try Importer.backbone(
            [encoder, decoder],
            architecture: .faceletOriginal(width: Fixture.width, batchnorm: batchnorm),
            name: "facelet-original", version: "1").package
    }

    static func bank(on backbone: Package) throws -> Package {
        let weights = try Importer.weights(contentsOf: Fixture.url("original_facehair.pth"))
        return try Importer.bank(weights, backbone: backbone, name: "facehair",
                                 version: "1").package
    }
}

@Suite struct ImporterTests {
    @Test func assemblesTheOriginalBackboneWithProvenance() throws {
        let encoder = try Importer.weights(contentsOf: Fixture.url("original_encoder.pth"))
        let decoder = try Importer.weights(contentsOf: Fixture.url("original_decoder.pth"))
        let (data, package) = try Importer.backbone([encoder, decoder], name: "facelet-original",
                                                    version: "1")
        let manifest = package.manifest
        #expect(manifest.kind == .backbone)
        #expect(manifest.architecture == .faceletOriginal(width: Fixture.width))
        #expect(manifest.architecture?.input.padMultiple == 112)
        #expect(manifest.provenance["method"] == "import")
        #expect(manifest.provenance["mapping"] == "original-encoder,original-decoder")
        #expect(manifest.provenance["source"] == "original_encoder.pth,original_decoder.pth")
        #expect(manifest.provenance["source_sha256"]
                == "\(encoder.source.sha256),\(decoder.source.sha256)")
        #expect(manifest.provenance["source_format"] == "pytorch-zip,pytorch-zip")
        // The bytes are a valid package that reads back to the same content.
        let read = try PackageReader.read(data)
        #expect(read.contentDigest == package.contentDigest)
        #expect(read.tensors.count == encoder.tensors.count + decoder.tensors.count)
    }

    @Test func assemblesTheBankBoundToItsBackbone() throws {
        let backbone = try OriginalRelease.backbone()
        let bank = try OriginalRelease.bank(on: backbone)
        #expect(bank.manifest.kind == .bank)
        #expect(bank.manifest.backbone == backbone.contentDigest)
        #expect(bank.manifest.levels == ["relu3_1", "relu4_1", "relu5_1"])
        #expect(bank.manifest.bank?.padding == [.reflect, .zero, .reflect])
        #expect(bank.manifest.provenance["mapping"] == "original-bank")
        #expect(bank.manifest.provenance["source_format"] == "pytorch-legacy")
        try validateBank(bank, against: backbone)
    }

    @Test func torchvisionEncoderPlusExportedDecoderMakesAVGG19Backbone() throws {
        // A width-1/32 default backbone whose decoder we export, then re-import alongside
        // torchvision's encoder: the result holds torchvision's encoder values exactly.
        let encoder = try Importer.weights(contentsOf: Fixture.url("tv_vgg19.pth"))
        let architecture = Architecture.vgg19(width: Fixture.width)
        var tensors = encoder.tensors
        for (name, shape) in architecture.expectedTensors() where name.hasPrefix("decoder.") {
            let count = shape.reduce(1, *)
            tensors.append(.float32(name: name, shape: shape,
                                    values: (0..<count).map { Float($0 % 7) * 0.01 }))
        }
        let donor = try PackageWriter.encode(
            Manifest(kind: .backbone, name: "donor", version: "1", architecture: architecture),
            tensors: tensors).package
        let directory = try Fixture.temporaryDirectory()
        let decoderFile = directory.appendingPathComponent("decoder.safetensors")
        try Exporter.export(donor, format: .safetensors, part: .decoder, to: decoderFile)
        let decoder = try Importer.weights(contentsOf: decoderFile)
        #expect(decoder.layout == .facelet)
        #expect(decoder.role == .decoder)
        let backbone = try Importer.backbone([encoder, decoder], architecture: architecture,
                                             name: "vgg19-tv", version: "1").package
        for tensor in encoder.tensors {
            #expect(backbone[tensor.name]?.bytes == tensor.bytes, "\(tensor.name)")
        }
        for tensor in donor.tensors where tensor.name.hasPrefix("decoder.") {
            #expect(backbone[tensor.name] == tensor, "\(tensor.name)")
        }
        #expect(backbone.tensors.count == donor.tensors.count)
        #expect(backbone.manifest.provenance["mapping"] == "torchvision-vgg19,facelet")
    }

    @Test func reimportsAnExportedOriginalBackboneAsTheSameNetwork() throws {
        let backbone = try OriginalRelease.backbone()
        let url = try Fixture.temporaryDirectory().appendingPathComponent("backbone.safetensors")
        try Exporter.export(backbone, format: .safetensors, to: url)
        let weights = try Importer.weights(contentsOf: url)
        #expect(weights.role == .backbone)
        let again = try Importer.backbone([weights], name: "again", version: "1").package
        #expect(again.manifest.architecture == backbone.manifest.architecture)
        #expect(again.tensors == backbone.tensors)
    }

    @Test(arguments: [("vgg19-dcbb9e9d.pth", "vgg19-dcbb9e9d"), ("Face Hair.PTH", "face-hair"),
                      ("__x.safetensors", "x"), ("???", "imported")])
    func suggestsAPackageNameFromTheFileName(file: String, name: String) throws {
        let source = SourceFile(fileName: file, format: .pytorchZip,
                                sha256: .sha256(Data()), byteCount: 0)
        #expect(Importer.suggestedName(for: source) == name)
        try Naming.validateName(Importer.suggestedName(for: source))
    }

    @Test func knowsTheArchitectureNamesTheCLITakes() {
        for name in Importer.architectureNames {
            #expect(Importer.architecture(named: name, width: 0.5) != nil, "\(name)")
        }
        #expect(Importer.architecture(named: "facelet-original-running", width: 1)
                == .faceletOriginal(width: 1, batchnorm: .running))
        #expect(Importer.architecture(named: "resnet50", width: 1) == nil)
        #expect(Importer.architecture(named: "vgg19", width: 0) == nil)
    }

    /// The full-width original variant is a valid description with the release's tensor count:
    /// 13 encoder convs × 2, 16 batch-normalised decoder convs × 6, the output conv × 2.
    @Test(arguments: [BatchNormMode.instance, .running])
    func theOriginalVariantIsValidAtFullWidth(batchnorm: BatchNormMode) throws {
        let architecture = Architecture.faceletOriginal(width: 1, batchnorm: batchnorm)
        try architecture.validate()
        let tensors = architecture.expectedTensors()
        #expect(tensors.count == 13 * 2 + 16 * 6 + 2)
        #expect(tensors["decoder.upsample3.weight"] == [256, 512, 3, 3])
        #expect(tensors["decoder.recon1_1.bn.running_var"] == [64])
        #expect(tensors["decoder.out.weight"] == [3, 64, 3, 3])
        #expect(architecture.levels.map(\.channels) == [256, 512, 512])
        #expect(architecture.output == .addInput)
        #expect(architecture.input.padMode == .mean)
    }
}
