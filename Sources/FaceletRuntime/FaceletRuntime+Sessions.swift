import FaceletImaging
import FaceletModel
import Foundation

/// An open session: its id and the version it was prepared for.
public struct SessionInfo: Sendable {
    /// The id to render with.
    public let id: String
    /// The bank version ψ(x) and Δv were prepared for.
    public let version: EffectVersion
    /// The photo's width.
    public let width: Int
    /// The photo's height.
    public let height: Int
}

/// A session rendered at one strength.
public struct SessionRender: Sendable {
    /// The edited photo and the version and strength that produced it.
    public let result: EditResult
    /// Whether Δv was computed for this render because the effect's bank changed since the
    /// last one (false: only the decoder ran).
    public let prepared: Bool
}

extension FaceletRuntime {
    /// Opens an interactive session: computes ψ(x) and Δv of `photo` for the bank installed
    /// under `effect` now, so each `render` re-runs only the decoder.
    ///
    /// The session follows the effect's name: after a swap its next render prepares Δv for
    /// the new bank (a stale Δv is never served).
    ///
    /// - Throws: `RuntimeError` `.unknownEffect`, `.badPhoto`.
    public func openSession(_ photo: RGBImage,
                            effect name: String) throws(RuntimeError) -> SessionInfo {
        guard let effect = effect(named: name) else { throw .unknownEffect(name) }
        let session = try prepare(photo, with: effect)
        let id = UUID().uuidString.lowercased()
        sessions.add(SessionEntry(id: id, effect: name, photo: photo,
                                  prepared: .init(version: effect.version, session: session)))
        return SessionInfo(id: id, version: effect.version, width: photo.width,
                           height: photo.height)
    }

    /// Renders session `id` at `strength` (the effect's default when nil, clamped to its
    /// range) with the bank installed under the session's effect now.
    ///
    /// When that bank's digest is the one the session was prepared for, only the decoder runs;
    /// otherwise Δv is computed for the new bank first (ψ(x) is kept when the new bank is
    /// bound to the same backbone, and encoded again otherwise).
    ///
    /// - Throws: `RuntimeError` `.unknownSession`, `.unknownEffect` (the effect was removed),
    ///   `.badStrength`, `.badPhoto`.
    public func renderSession(_ id: String, strength: Double? = nil,
                              levels: Set<String>? = nil) throws(RuntimeError) -> SessionRender {
        guard let entry = sessions.entry(id) else {
            throw RuntimeError(.unknownSession,
                               "no open session has id '\(id.prefix(64))'; it was closed or"
                                   + " expired: open a new session",
                               context: ["session.id": String(id.prefix(64))])
        }
        guard let effect = effect(named: entry.effect) else {
            throw .unknownEffect(entry.effect)
        }
        hooks.withLock { $0.afterCapture }?(effect)
        let applied = try effect.resolveStrength(strength)
        let (session, preparedNow) = try entry.prepared.withLock {
            (current) throws(RuntimeError) -> (EditSession, Bool) in
            if let current, current.version.digest == effect.digest {
                return (current.session, false)
            }
            // Only Δv depends on the bank: a new bank on the same backbone reuses ψ(x).
            let session: EditSession
            if let current, let rebased = try? current.session.applying(effect.bank) {
                session = rebased
            } else {
                session = try prepare(entry.photo, with: effect)
            }
            current = .init(version: effect.version, session: session)
            return (session, true)
        }
        let image = session.render(strength: applied.applied, levels: levels)
        return SessionRender(result: EditResult(image: image, version: effect.version,
                                                strength: applied),
                             prepared: preparedNow)
    }

    /// Closes session `id`, freeing its features; returns whether it was open.
    @discardableResult
    public func closeSession(_ id: String) -> Bool {
        sessions.remove(id)
    }
}
