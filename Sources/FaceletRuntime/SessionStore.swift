import FaceletImaging
import FaceletModel
import FaceletPackage
import Foundation

/// The open interactive sessions of a runtime: per photo, ψ(x) and Δv prepared for the bank
/// that is installed under the session's effect, keyed by that bank's content digest.
///
/// Bounded: at most `limits.maximumSessions` are kept (the least recently used is dropped to
/// make room) and a session unused for `limits.idleSeconds` is dropped at the next open.
public final class SessionStore: Sendable {
    /// How many sessions are kept, and for how long.
    public struct Limits: Sendable, Equatable {
        /// The most sessions kept at once.
        public var maximumSessions: Int
        /// Seconds after its last use when a session is dropped.
        public var idleSeconds: Double

        /// Limits with the given values (64 sessions, 10 minutes by default).
        public init(maximumSessions: Int = 64, idleSeconds: Double = 600) {
            precondition(maximumSessions >= 1, "keep at least one session")
            precondition(idleSeconds > 0, "idleSeconds must be positive")
            self.maximumSessions = maximumSessions
            self.idleSeconds = idleSeconds
        }
    }

    /// The limits this store enforces.
    public let limits: Limits
    private let table = Locked(Table())
    /// Test hook: when set, the clock (nanoseconds) used instead of the monotonic one.
    let testClock = Locked<UInt64?>(nil)

    private struct Table {
        var entries: [String: SessionEntry] = [:]
        var clock: UInt64 = 0
    }

    init(limits: Limits) {
        self.limits = limits
    }

    /// The number of open sessions.
    public var count: Int {
        table.withLock { $0.entries.count }
    }

    /// The bytes the open sessions' prepared features take (ψ(x), Δv, D(ψ(x)), the photo).
    public var residentBytes: Int {
        let entries = table.withLock { Array($0.entries.values) }
        return entries.reduce(0) { $0 + $1.residentBytes }
    }

    /// Adds `entry`, first dropping idle sessions and, at capacity, the least recently used.
    func add(_ entry: SessionEntry) {
        let now = now()
        table.withLock { table in
            entry.lastUsed.value = now
            let idle = UInt64(limits.idleSeconds * 1e9)
            table.entries = table.entries.filter { now &- $0.value.lastUsed.value <= idle }
            while table.entries.count >= limits.maximumSessions,
                  let oldest = table.entries.min(by: {
                      $0.value.lastUsed.value < $1.value.lastUsed.value
                  }) {
                table.entries[oldest.key] = nil
            }
            table.entries[entry.id] = entry
        }
    }

    /// The session `id`, marked as used now.
    func entry(_ id: String) -> SessionEntry? {
        let now = now()
        return table.withLock { table in
            guard let entry = table.entries[id] else { return nil }
            entry.lastUsed.value = now
            return entry
        }
    }

    /// Drops session `id`; returns whether it was open.
    func remove(_ id: String) -> Bool {
        table.withLock { $0.entries.removeValue(forKey: id) != nil }
    }

    /// A monotonic clock in nanoseconds (or the test clock).
    func now() -> UInt64 {
        testClock.withLock { $0 } ?? DispatchTime.now().uptimeNanoseconds
    }
}

/// One open session: the photo, the effect it follows, and the preparation for one bank.
final class SessionEntry: Sendable {
    let id: String
    let effect: String
    let photo: RGBImage
    /// The preparation for the bank with `digest`; replaced when another bank is installed
    /// under `effect`. The lock is held while preparing, so concurrent renders of one session
    /// after a swap prepare once.
    let prepared: Locked<Prepared?>
    /// Last use on `SessionStore.now()`'s clock; set when the entry is added.
    let lastUsed: Box

    struct Prepared: Sendable {
        let version: EffectVersion
        let session: EditSession
    }

    /// A lock-guarded timestamp.
    final class Box: @unchecked Sendable {
        // @unchecked Sendable: only read and written with SessionStore's table lock held.
        var value: UInt64
        init(_ value: UInt64) { self.value = value }
    }

    init(id: String, effect: String, photo: RGBImage, prepared: Prepared) {
        self.id = id
        self.effect = effect
        self.photo = photo
        self.prepared = Locked(prepared)
        self.lastUsed = Box(0)
    }

    /// Bytes held: the photo plus ψ(x), Δv and (difference mode) D(ψ(x)) of the preparation.
    var residentBytes: Int {
        let photoBytes = photo.pixels.count * MemoryLayout<Float>.size
        let prepared = self.prepared.withLock { $0 }
        guard let session = prepared?.session else { return photoBytes }
        let features = session.features.levels.reduce(0) { $0 + $1.tensor.count }
        let delta = session.delta.levels.reduce(0) { $0 + $1.tensor.count }
        return photoBytes + (features + delta) * MemoryLayout<Float>.size
    }
}
