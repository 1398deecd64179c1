// swift-tools-version:6.0
// Facelet: store, ship and run facelet banks (per-effect convolutional layer sets) on top of a
// frozen VGG-19 encoder/decoder. Every C dependency is a Debian package reached through a
// system-library target; no outside Swift package is needed.
import PackageDescription

let package = Package(
    // Not "Facelet": SwiftPM names its test runner "<name>PackageTests", which would collide
    // with the FaceletPackageTests target (a build cycle).
    name: "FaceletRegistry",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "facelet-registry", targets: ["facelet-registry"]),
        .library(name: "FaceletTensor", targets: ["FaceletTensor"]),
        .library(name: "FaceletPackage", targets: ["FaceletPackage"]),
        .library(name: "FaceletImaging", targets: ["FaceletImaging"]),
        .library(name: "FaceletStore", targets: ["FaceletStore"]),
        .library(name: "FaceletModel", targets: ["FaceletModel"]),
        .library(name: "FaceletTraining", targets: ["FaceletTraining"]),
        .library(name: "FaceletImport", targets: ["FaceletImport"]),
        .library(name: "FaceletRuntime", targets: ["FaceletRuntime"]),
        .library(name: "FaceletService", targets: ["FaceletService"]),
        .library(name: "FaceletRemote", targets: ["FaceletRemote"]),
        .library(name: "FaceletRegistryServer", targets: ["FaceletRegistryServer"]),
        .executable(name: "facelet-loadtest", targets: ["facelet-loadtest"]),
    ],
    targets: [
        // C libraries from Debian (see docs/development.md for the apt packages).
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng16",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg",
                       providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZip", pkgConfig: "libzip",
                       providers: [.apt(["libzip-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd",
                       providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),

        // Tensors (NCHW float32) and the CNN operators, forward and backward.
        .target(name: "FaceletTensor", dependencies: ["COpenBLAS"]),
        // The package file format, manifests, architecture descriptions, digests.
        .target(name: "FaceletPackage", dependencies: ["CCrypto"]),
        // Photo decoding/encoding, EXIF orientation, resizing, colour maps.
        .target(name: "FaceletImaging", dependencies: ["CPNG", "CTurboJPEG"]),
        // The SQLite-backed, content-addressed local store.
        .target(name: "FaceletStore", dependencies: ["CSQLite", "FaceletPackage"]),
        // Networks built from architecture descriptions: backbone, bank, editor, heat maps.
        .target(name: "FaceletModel",
                dependencies: ["FaceletTensor", "FaceletPackage", "FaceletImaging"]),
        // Learning facelet banks (Eq. 5-7) and decoders (Eq. 4).
        .target(name: "FaceletTraining",
                dependencies: ["FaceletModel", "FaceletTensor", "FaceletPackage",
                               "FaceletImaging"]),
        // PyTorch checkpoints and safetensors files in and out (restricted pickle, zip).
        .target(name: "FaceletImport", dependencies: ["FaceletPackage", "CZip"]),
        // The commands of the CLI, as a library so tests can drive them in-process.
        .target(name: "FaceletCLI",
                dependencies: ["FaceletStore", "FaceletModel", "FaceletTraining",
                               "FaceletPackage", "FaceletImaging", "FaceletTensor",
                               "FaceletImport", "FaceletRuntime", "FaceletService",
                               "FaceletBench", "FaceletRemote", "FaceletRegistryServer"]),
        .executableTarget(name: "facelet-registry", dependencies: ["FaceletCLI"]),
        // The hot-swap runtime services embed, and its HTTP service (docs/runtime.md).
        .target(name: "FaceletRuntime",
                dependencies: ["FaceletModel", "FaceletStore", "FaceletPackage",
                               "FaceletImaging"]),
        .target(name: "FaceletService",
                dependencies: ["CMicroHTTPD", "FaceletHTTP", "FaceletRuntime", "FaceletModel",
                               "FaceletPackage", "FaceletImaging"]),
        .executableTarget(name: "facelet-loadtest",
                          dependencies: ["FaceletService", "FaceletRuntime", "FaceletStore",
                                         "FaceletModel", "FaceletPackage", "FaceletImaging",
                                         "FaceletTensor"]),
        // The embeddable HTTP server (libmicrohttpd) the runtime service and registry share.
        .target(name: "FaceletHTTP", dependencies: ["CMicroHTTPD"]),
        // The registry server: the local store over HTTP under /v1/ (docs/remote.md).
        .target(name: "FaceletRegistryServer",
                dependencies: ["FaceletHTTP", "FaceletStore", "FaceletPackage"]),
        // The remote-registry client (libcurl): pull, publish --to, outdated, mirrors.
        .target(name: "FaceletRemote",
                dependencies: ["CCurl", "FaceletStore", "FaceletPackage"]),
        // The engine benchmark (issue 6): the peer's network timed stage by stage.
        .target(name: "FaceletBench", dependencies: ["FaceletTensor", "FaceletPackage"]),
        .executableTarget(name: "facelet-bench", dependencies: ["FaceletBench"]),

        .testTarget(name: "FaceletTensorTests", dependencies: ["FaceletTensor"],
                    exclude: ["Reference"]),
        .testTarget(name: "FaceletPackageTests", dependencies: ["FaceletPackage"],
                    exclude: ["Python"]),
        .testTarget(name: "FaceletImagingTests", dependencies: ["FaceletImaging"],
                    exclude: ["Python"]),
        .testTarget(name: "FaceletStoreTests",
                    dependencies: ["FaceletStore", "FaceletPackage", "FaceletTestSupport"]),
        .testTarget(name: "FaceletModelTests",
                    dependencies: ["FaceletModel", "FaceletTensor", "FaceletPackage",
                                   "FaceletImaging"],
                    exclude: ["Python"]),
        .testTarget(name: "FaceletTrainingTests",
                    dependencies: ["FaceletTraining", "FaceletModel", "FaceletTensor",
                                   "FaceletPackage", "FaceletImaging"]),
        .testTarget(name: "FaceletImportTests",
                    dependencies: ["FaceletImport", "FaceletPackage", "FaceletModel",
                                   "FaceletTensor", "FaceletImaging"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "FaceletRuntimeTests",
                    dependencies: ["FaceletRuntime", "FaceletModel", "FaceletStore",
                                   "FaceletPackage", "FaceletImaging"]),
        .testTarget(name: "FaceletServiceTests",
                    dependencies: ["FaceletService", "FaceletRuntime", "FaceletModel",
                                   "FaceletPackage", "FaceletImaging", "FaceletStore"]),
        // Helpers several test targets share: raw sockets, small packages.
        .target(name: "FaceletTestSupport", dependencies: ["FaceletPackage"],
                path: "Tests/FaceletTestSupport"),
        .testTarget(name: "FaceletHTTPTests", dependencies: ["FaceletHTTP", "FaceletTestSupport"]),
        .testTarget(name: "FaceletRegistryServerTests",
                    dependencies: ["FaceletRegistryServer", "FaceletHTTP", "FaceletStore",
                                   "FaceletPackage", "FaceletTestSupport"]),
        .testTarget(name: "FaceletRemoteTests",
                    dependencies: ["FaceletRemote", "FaceletRegistryServer", "FaceletStore",
                                   "FaceletPackage", "FaceletTestSupport"],
                    exclude: ["Python"]),
        .testTarget(name: "FaceletCLITests",
                    dependencies: ["FaceletCLI", "FaceletStore", "FaceletPackage",
                                   "FaceletImaging", "FaceletTraining", "FaceletService",
                                   "FaceletRegistryServer"]),
    ]
)
