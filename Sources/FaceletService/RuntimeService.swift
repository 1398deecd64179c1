import FaceletModel
import FaceletPackage
import FaceletRuntime
import FaceletStore
import Foundation

/// The whole `serve-runtime` service: a runtime on a store's backbone, a follower keeping the
/// effects on the references given, and the HTTP server.
///
/// What `facelet-registry serve-runtime` runs:
///
///     let service = try RuntimeService(storeDirectory: store, follow: refs, listen: listen)
///     try service.start()           // installs the references' versions, then listens
///     service.waitForTermination()  // until SIGINT or SIGTERM
///     service.stop()
public final class RuntimeService: Sendable {
    /// The runtime.
    public let runtime: FaceletRuntime
    /// The follower of the store references.
    public let follower: StoreFollower
    /// The HTTP server.
    public let server: RuntimeServer

    /// Opens the store, loads the backbone (`backbone`, or else the one the first followed
    /// bank is bound to) and prepares the follower and the server; nothing listens yet.
    ///
    /// - Parameters:
    ///   - follow: the bank references to serve (`smile@stable`, `beard`), each installed
    ///     under its package name.
    ///   - log: where runtime events go, one line each (nowhere when nil).
    /// - Throws: `ServiceError` `.setupFailed` naming what could not be loaded.
    public init(storeDirectory: URL, follow: [Reference], backbone: Reference? = nil,
                listen: RuntimeServer.Listen = .init(), limits: RuntimeServer.Limits = .init(),
                pollInterval: Double = 0.2, maximumPixels: Int = Editor.defaultMaximumPixels,
                log: (@Sendable (String) -> Void)? = nil) throws(ServiceError) {
        guard !follow.isEmpty else {
            throw ServiceError(.setupFailed, "name at least one bank reference to serve")
        }
        let store: Store
        let backbonePackage: Package
        do throws(StoreError) {
            store = try Store.open(at: storeDirectory)
            if let backbone {
                backbonePackage = try store.loadPackage(backbone)
            } else {
                let first = try store.resolve(follow[0])
                guard let digest = first.backbone else {
                    throw StoreError(.invalidReference, "\(follow[0]) is not a bank")
                }
                backbonePackage = try store.loadPackage(digest: digest)
            }
        } catch {
            throw ServiceError(.setupFailed, "cannot load the backbone: \(error.message)",
                               context: ["store.path": storeDirectory.path])
        }
        let model: Backbone
        do {
            model = try Backbone(package: backbonePackage)
        } catch {
            throw ServiceError(.setupFailed, "cannot build the backbone: \(error.message)",
                               context: ["store.path": storeDirectory.path])
        }
        var events: (@Sendable (RuntimeEvent) -> Void)?
        if let log {
            events = { event in log(event.description) }
        }
        runtime = FaceletRuntime(backbone: model, maximumPixels: maximumPixels, events: events)
        follower = StoreFollower(store: store, references: follow, runtime: runtime,
                                 pollInterval: pollInterval)
        server = RuntimeServer(runtime: runtime, listen: listen, limits: limits)
    }

    /// Installs what the references name now, starts following them, and starts listening.
    ///
    /// - Returns: the bound port.
    /// - Throws: `ServiceError` `.bindFailed` / `.badAddress`.
    @discardableResult
    public func start() throws(ServiceError) -> UInt16 {
        follower.checkNow()
        follower.start()
        do {
            return try server.start()
        } catch {
            follower.stop()
            throw error
        }
    }

    /// Stops listening and following.
    public func stop() {
        server.stop()
        follower.stop()
    }

    /// Blocks until the process gets SIGINT or SIGTERM.
    public func waitForTermination() {
        let done = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber)
            source.setEventHandler { done.signal() }
            source.resume()
            sources.append(source)
        }
        done.wait()
        sources.forEach { $0.cancel() }
    }
}
