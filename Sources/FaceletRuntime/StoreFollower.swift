import FaceletPackage
import FaceletStore
import Foundation

/// Keeps a runtime's effects on the versions that store references name (`smile@stable`,
/// `smile` for the latest), swapping when a tag moves or a new latest version is published.
///
/// Cheap when nothing changes: each check reads the store's change counter (one row, bumped by
/// a trigger on every publish, tag, removal and gc by any process) and resolves the references
/// only when it moved. A reference is installed under its package name. A version that fails
/// validation (a damaged blob, a bank for another backbone) is reported and the installed one
/// keeps serving; a reference that no longer resolves (its package was removed) leaves the
/// installed version serving too, and is reported.
///
/// Only the local store is followed.
/// TODO: follow the remote registry's watch endpoint as a second update source (issue 4).
public final class StoreFollower: Sendable {
    /// The store watched.
    public let store: Store
    /// The references followed, each installed under its package name.
    public let references: [Reference]
    /// Seconds between checks once `start()`ed.
    public let pollInterval: Double
    private let runtime: FaceletRuntime
    private let state = Locked(State())
    private let wake = DispatchSemaphore(value: 0)
    private let checking = NSLock()

    private struct State {
        var lastCounter: Int64?
        var resolutions = 0
        var running = false
        var stopped: DispatchSemaphore?
    }

    /// What one check did.
    public struct Check: Sendable, Equatable {
        /// Whether the change counter had moved (false: nothing was resolved).
        public var counterMoved: Bool
        /// The effects switched to a new version.
        public var swapped: [EffectVersion] = []
        /// The references whose new version was refused or could not be read.
        public var failed: [String] = []
    }

    /// A follower of `references` in `store` that installs into `runtime`.
    ///
    /// - Precondition: the references name distinct packages, and `pollInterval > 0`.
    public init(store: Store, references: [Reference], runtime: FaceletRuntime,
                pollInterval: Double = 0.2) {
        precondition(Set(references.map(\.name)).count == references.count,
                     "follow each package through one reference")
        precondition(pollInterval > 0, "pollInterval must be positive")
        self.store = store
        self.references = references
        self.runtime = runtime
        self.pollInterval = pollInterval
    }

    /// How many times the references were resolved (once per check that saw the counter
    /// move); for tests and metrics.
    public var resolutions: Int {
        state.withLock { $0.resolutions }
    }

    /// Checks once, now: reads the change counter and, when it moved since the last check (or
    /// on the first check), resolves every reference and installs each one whose digest
    /// differs from the installed one.
    ///
    /// Checks are serialised, so installs of one effect never overtake each other.
    @discardableResult
    public func checkNow() -> Check {
        checking.lock()
        defer { checking.unlock() }
        let counter: Int64
        do {
            counter = try store.changeCounter()
        } catch {
            report("store:\(store.directory.path)", error)
            return Check(counterMoved: false, failed: references.map(\.description))
        }
        guard counter != state.withLock({ $0.lastCounter }) else {
            return Check(counterMoved: false)
        }
        state.withLock { $0.resolutions += 1 }

        var check = Check(counterMoved: true)
        var retry = false
        for reference in references {
            switch follow(reference) {
            case .unchanged: break
            case .swapped(let version): check.swapped.append(version)
            case .refused: check.failed.append(reference.description)
            case .unreadable:
                check.failed.append(reference.description)
                retry = true
            }
        }
        // A transient failure (busy, I/O) is retried at the next check; a refused version is
        // not retried until the store changes again.
        if !retry {
            state.withLock { $0.lastCounter = counter }
        }
        return check
    }

    private enum Outcome {
        case unchanged, swapped(EffectVersion), refused, unreadable
    }

    /// Resolves one reference and installs its version if it is new.
    private func follow(_ reference: Reference) -> Outcome {
        let source = "store:\(reference)"
        let record: VersionRecord
        do {
            record = try store.resolve(reference)
        } catch {
            report(source, error)
            return error.code == .notFound ? .refused : .unreadable
        }
        if runtime.effect(named: reference.name)?.digest == record.digest {
            return .unchanged
        }
        let package: Package
        do {
            package = try store.loadPackage(digest: record.digest)
        } catch {
            guard error.code == .integrity || error.code == .notFound else {
                report(source, error)
                return .unreadable
            }
            // A damaged or vanished version is a refused bank: report it as a rejection.
            _ = runtime.reject(effect: reference.name, source: source, cause: error)
            return .refused
        }
        do {
            let installed = try runtime.install(package, as: reference.name, source: source)
            return .swapped(installed.version)
        } catch {
            return .refused
        }
    }

    private func report(_ source: String, _ error: StoreError) {
        let (code, message) = RuntimeError.describe(error)
        runtime.reportUpdateFailure(
            source: source,
            error: RuntimeError(.store, "cannot read the store: \(message)",
                                context: ["cause.code": code, "store.path": store.directory.path]))
    }

    // MARK: - Background polling

    /// Starts checking every `pollInterval` seconds on a background thread (the first check
    /// runs at once). Calling it again while running does nothing.
    public func start() {
        let done = DispatchSemaphore(value: 0)
        let started = state.withLock { state -> Bool in
            guard !state.running else { return false }
            state.running = true
            state.stopped = done
            return true
        }
        guard started else { return }
        let thread = Thread { [self] in
            while state.withLock({ $0.running }) {
                checkNow()
                // Waiting on the semaphore (rather than sleeping) lets stop() wake us at once.
                _ = wake.wait(timeout: .now() + pollInterval)
            }
            done.signal()
        }
        thread.name = "facelet-store-follower"
        thread.start()
    }

    /// Stops the background checks and waits for the thread to finish.
    public func stop() {
        let done = state.withLock { state -> DispatchSemaphore? in
            guard state.running else { return nil }
            state.running = false
            defer { state.stopped = nil }
            return state.stopped
        }
        guard let done else { return }
        wake.signal()
        done.wait()
    }
}
