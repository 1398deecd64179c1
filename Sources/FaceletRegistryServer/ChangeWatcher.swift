import FaceletStore
import Foundation

/// Waits for the store's change counter to pass a value, for `GET /v1/watch`.
///
/// The counter lives in the database, so changes by other processes (a `publish` on the same
/// store) are only seen by reading it: a waiter reads it every `pollInterval`, and sooner when
/// this server published something itself (`poke`). `stop` wakes every waiter, so a server
/// stops without waiting out its long polls.
final class ChangeWatcher: @unchecked Sendable {
    // @unchecked Sendable: `stopping` is only touched with `condition` held; the rest is
    // immutable (the store serialises its own calls).
    private let condition = NSCondition()
    private var stopping = false
    private let store: Store
    private let pollInterval: TimeInterval

    init(store: Store, pollInterval: TimeInterval = 0.2) {
        self.store = store
        self.pollInterval = pollInterval
    }

    /// Blocks until the change counter is above `since`, `seconds` have passed, or the
    /// server stops; returns the counter then.
    func wait(since: Int64, seconds: Int) throws(StoreError) -> Int64 {
        let deadline = Date().addingTimeInterval(TimeInterval(seconds))
        while true {
            let counter = try store.changeCounter()
            if counter > since || Date() >= deadline { return counter }
            condition.lock()
            if stopping {
                condition.unlock()
                return counter
            }
            _ = condition.wait(until: min(deadline, Date().addingTimeInterval(pollInterval)))
            condition.unlock()
        }
    }

    /// Something changed here: wake the waiters to read the counter now.
    func poke() {
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// Wakes every waiter for good (the server is stopping).
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    /// Lets waiters wait again (the server is starting).
    func reset() {
        condition.lock()
        stopping = false
        condition.unlock()
    }
}
