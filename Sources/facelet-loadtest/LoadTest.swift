import FaceletImaging
import FaceletModel
import FaceletPackage
import FaceletRuntime
import FaceletService
import FaceletStore
import Foundation

/// One request as a client saw it.
struct Sample {
    let start: UInt64
    let end: UInt64
    let ok: Bool
    let digest: String?
    var seconds: Double { Double(end - start) / 1e9 }
}

/// The store, runtime and server the load runs against, and what happened to them.
final class LoadRig: @unchecked Sendable {
    // @unchecked Sendable: the mutable records are `Shared` values; the rest is set in init.
    let directory: URL
    let store: Store
    let backbone: Backbone
    let otherBackbone: Backbone
    let runtime: FaceletRuntime
    let follower: StoreFollower
    let server: RuntimeServer
    let client: LoopbackClient
    let photo: Data
    /// Monotonic time at which each digest became installed / stopped being installed.
    let installed = Shared<[String: UInt64]>([:])
    let retired = Shared<[String: UInt64]>([:])
    let rejections = Shared(0)
    /// When each good version was tagged `stable`, and the versions refused by design.
    let published = Shared<[String: UInt64]>([:])
    let bad = Shared<Set<String>>([])
    /// The next version number to publish (continues across phases).
    private let nextVersion = Shared(2)
    /// The versions to publish, made before the load starts so that generating random weights
    /// does not compete with the requests (a real publisher is another process or machine).
    private let prepared: [Int: Package]

    init(_ options: Options) throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("facelet-loadtest-\(UUID().uuidString)")
        store = try Store.create(at: directory)
        let architecture = Architecture.vgg19(width: options.width)
        let backbonePackage = try RandomWeights.backbone(architecture, seed: 1, biasScale: 0.05,
                                                         name: "narrow").package
        _ = try store.publish(backbonePackage)
        backbone = try Backbone(package: backbonePackage)
        let otherPackage = try RandomWeights.backbone(architecture, seed: 2, biasScale: 0.05,
                                                      name: "other").package
        _ = try store.publish(otherPackage)
        otherBackbone = try Backbone(package: otherPackage)

        let first = try RandomWeights.bank(for: backbone, seed: 1000, name: "smile",
                                           version: "1").package
        _ = try store.publish(first)
        try store.tag(try Reference(parsing: "smile:1"), as: "stable")
        published.update { $0[first.contentDigest.description] = now() }

        let (installed, retired, rejections) = (installed, retired, rejections)
        runtime = FaceletRuntime(backbone: backbone, events: { event in
            let time = now()
            switch event {
            case .installed(let version, _, _):
                installed.update { $0[version.digest.description] = time }
            case .replaced(let old, let new, _, _):
                installed.update { $0[new.digest.description] = time }
                retired.update { $0[old.digest.description] = time }
            case .rejected:
                rejections.update { $0 += 1 }
            case .removed, .updateFailed:
                break
            }
        })
        // The follower reads through its own connection, as another process would.
        follower = StoreFollower(store: try Store.open(at: directory),
                                 references: [try Reference(parsing: "smile@stable")],
                                 runtime: runtime, pollInterval: options.poll)
        follower.checkNow()
        follower.start()
        server = RuntimeServer(runtime: runtime, listen: .init(host: "127.0.0.1", port: 0))
        client = LoopbackClient(port: try server.start())

        var pixels = [Float](repeating: 0, count: 3 * options.photo * options.photo)
        var generator = SplitMix64(seed: 5)
        for index in pixels.indices { pixels[index] = Float(generator.nextUnit()) }
        let count = options.rounds * Int((options.seconds / options.publishInterval)
                                             .rounded(.up)) + 2
        var prepared: [Int: Package] = [:]
        for version in 2..<(2 + count) {
            let bad = version % 5 == 0, mismatched = version % 10 == 0
            prepared[version] = try RandomWeights.bank(
                for: bad && mismatched ? otherBackbone : backbone, seed: UInt64(1000 + version),
                name: "smile", version: String(version)).package
        }
        self.prepared = prepared
        photo = try ImageCodec.encodePNG(RGBImage(width: options.photo, height: options.photo,
                                                  pixels: pixels))
    }

    func shutDown() {
        server.stop()
        follower.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `clients` threads of back-to-back edits until `seconds` pass or `limit` requests
    /// are done; `during` runs on the calling thread meanwhile (given the deadline).
    func load(clients: Int, seconds: Double, limit: Int,
              during: (UInt64) -> Void = { _ in }) -> [Sample] {
        let deadline = now() + UInt64(seconds * 1e9)
        let samples = Shared<[Sample]>([])
        let issued = Shared(0)
        let group = DispatchGroup()
        for _ in 0..<clients {
            group.enter()
            Thread { [self] in
                while now() < deadline, issued.update({ count -> Bool in
                    count += 1
                    return count <= limit
                }) {
                    let start = now()
                    let response = try? client.send("POST", "/v1/effects/smile/edit?strength=0.5",
                                                    body: photo)
                    let sample = Sample(start: start, end: now(), ok: response?.status == 200,
                                        digest: response?.headers["facelet-effect-digest"])
                    samples.update { $0.append(sample) }
                }
                group.leave()
            }.start()
        }
        during(deadline)
        group.wait()
        return samples.update { $0 }
    }

    /// Re-publishes `smile` every `interval` seconds until `deadline`, moving `stable` to each
    /// new version; every fifth publication is bad (alternately a bank for another backbone
    /// and a version whose blob is then damaged).
    func republish(every interval: Double, until deadline: UInt64) {
        var next = now() + UInt64(interval * 1e9)
        while next < deadline {
            let wait = Double(next - min(next, now())) / 1e9
            Thread.sleep(forTimeInterval: wait)  // pacing the publisher, not synchronisation
            next += UInt64(interval * 1e9)
            let version = nextVersion.update { value -> Int in
                defer { value += 1 }
                return value
            }
            do {
                try publish(version: version)
            } catch {
                print("publish of smile:\(version) failed: \(error)")
            }
        }
    }

    private func publish(version: Int) throws {
        let isBad = version % 5 == 0
        let mismatched = isBad && version % 10 == 0
        guard let package = prepared[version] else { return }
        _ = try store.publish(package)
        if isBad && !mismatched {
            let weight = package.tensors.first { $0.name.hasSuffix("weight") }
            if let hex = weight?.sha256.hex, let count = weight?.bytes.count {
                let path = directory.appendingPathComponent(
                    "blobs/sha256/\(hex.prefix(2))/\(hex)")
                try Data(repeating: 0, count: count).write(to: path)
            }
        }
        let digest = package.contentDigest.description
        if isBad { bad.update { _ = $0.insert(digest) } }
        try store.tag(try Reference(parsing: "smile:\(version)"), as: "stable")
        if !isBad { published.update { $0[digest] = now() } }
    }
}
