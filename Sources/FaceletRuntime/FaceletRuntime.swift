import FaceletImaging
import FaceletModel
import FaceletPackage
import Foundation

/// The hot-swap runtime a long-running service embeds: one backbone loaded once, facelet banks
/// installed, replaced and removed at any time, edits with any installed effect.
///
/// Switch semantics (docs/runtime.md): the installed banks form an immutable `RuntimeSnapshot`.
/// A swap builds and validates the new bank off to the side, with no lock held, then replaces
/// the current snapshot with a new one in a single assignment under a lock. Every request
/// captures the current effect once, at its start, and runs to the end on that bank: a request
/// that started before a swap finishes on the old version, one that starts after it uses the
/// new version, and none mixes the two. A bank that fails validation never reaches the table,
/// so the installed version keeps serving; the refusal is thrown and reported as a
/// `RuntimeEvent.rejected`.
///
/// Thread safety: all members are immutable or guarded by a lock; share one runtime between
/// every thread of the service.
public final class FaceletRuntime: Sendable {
    /// The backbone every effect is bound to; loaded once, never swapped.
    public let backbone: Backbone
    /// The editor on `backbone` (its `maximumPixels` limits the photos accepted).
    public let editor: Editor
    /// The interactive sessions (ψ(x) and Δv kept per photo, keyed by bank digest).
    public let sessions: SessionStore

    private let state = Locked(State())
    private let eventHandler: (@Sendable (RuntimeEvent) -> Void)?
    /// Test hooks; see `TestHooks`.
    let hooks = Locked(TestHooks())

    private struct State {
        var snapshot = RuntimeSnapshot()
        var statistics = RuntimeStatistics()
    }

    /// Points where tests can hold a request to observe the switch semantics.
    struct TestHooks {
        /// Called by every edit and session render right after it captured its effect, before
        /// any computation, with the effect it captured.
        var afterCapture: (@Sendable (InstalledEffect) -> Void)?
        /// Called by `install` after validation, before the switch.
        var beforeSwitch: (@Sendable (InstalledEffect) -> Void)?
    }

    /// A runtime on `backbone`.
    ///
    /// - Parameters:
    ///   - backbone: the frozen encoder/decoder, shared by every effect.
    ///   - maximumPixels: the largest photo (width × height) an edit accepts.
    ///   - sessionLimits: how many interactive sessions are kept and for how long.
    ///   - events: called for every install, replacement, removal and rejection.
    public init(backbone: Backbone, maximumPixels: Int = Editor.defaultMaximumPixels,
                sessionLimits: SessionStore.Limits = .init(),
                events: (@Sendable (RuntimeEvent) -> Void)? = nil) {
        self.backbone = backbone
        self.editor = Editor(backbone: backbone, maximumPixels: maximumPixels)
        self.sessions = SessionStore(limits: sessionLimits)
        self.eventHandler = events
    }

    // MARK: - The installed-bank table

    /// The installed banks now. Holding the snapshot keeps its banks alive.
    public func snapshot() -> RuntimeSnapshot {
        state.withLock { $0.snapshot }
    }

    /// The effect installed under `name` now, if any.
    public func effect(named name: String) -> InstalledEffect? {
        snapshot()[name]
    }

    /// Counts of installs, replacements, removals and rejections so far.
    public var statistics: RuntimeStatistics {
        state.withLock { $0.statistics }
    }

    /// Validates `package` as a bank for this runtime's backbone and switches it in under
    /// `name` (the bank's own name when nil), replacing what was installed there.
    ///
    /// Validation happens before anything changes: the package must be a bank bound to this
    /// backbone's content digest with levels and tensor shapes that fit it (its values are
    /// finite: every `Package` has passed the format's checks). Installing the same digest
    /// that is already installed under `name` changes nothing and returns the installed one.
    ///
    /// - Returns: the installed effect.
    /// - Throws: `RuntimeError` `.invalidBank` (also reported as `.rejected`), or
    ///   `.badEffectName` for a name that breaks the package naming rule.
    @discardableResult
    public func install(_ package: Package, as name: String? = nil,
                        source: String = "package") throws(RuntimeError) -> InstalledEffect {
        let effectName = name ?? package.manifest.name
        try Self.validateEffectName(effectName)
        if let current = effect(named: effectName), current.digest == package.contentDigest {
            return current
        }
        let bank: FaceletBank
        do {
            bank = try FaceletBank(package: package, backbone: backbone)
        } catch {
            throw reject(effect: effectName, source: source, cause: error)
        }
        let installed = InstalledEffect(effect: effectName, bank: bank, source: source,
                                        installedAt: Date())
        hooks.withLock { $0.beforeSwitch }?(installed)

        let (old, generation) = state.withLock { state -> (InstalledEffect?, UInt64) in
            let old = state.snapshot[effectName]
            state.snapshot = state.snapshot.setting(effectName, to: installed)
            if old == nil { state.statistics.installs += 1 } else {
                state.statistics.replacements += 1
            }
            return (old, state.snapshot.generation)
        }
        if let old {
            eventHandler?(.replaced(old: old.version, new: installed.version,
                                    residentBytes: installed.residentBytes,
                                    generation: generation))
        } else {
            eventHandler?(.installed(installed.version, residentBytes: installed.residentBytes,
                                     generation: generation))
        }
        return installed
    }

    /// Reads package bytes (with every check of docs/format.md) and installs the bank as
    /// `install(_:as:source:)` does.
    ///
    /// - Throws: `RuntimeError` `.invalidBank` when the bytes are not a valid bank for this
    ///   backbone (also reported as `.rejected`).
    @discardableResult
    public func install(data: Data, as name: String? = nil,
                        source: String = "data") throws(RuntimeError) -> InstalledEffect {
        let package: Package
        do {
            package = try PackageReader.read(data)
        } catch {
            throw reject(effect: name ?? "(unnamed)", source: source, cause: error)
        }
        return try install(package, as: name, source: source)
    }

    /// Reads a package file and installs the bank as `install(_:as:source:)` does.
    ///
    /// - Throws: `RuntimeError` `.invalidBank` when the file is unreadable or not a valid bank
    ///   for this backbone (also reported as `.rejected`).
    @discardableResult
    public func install(contentsOf url: URL,
                        as name: String? = nil) throws(RuntimeError) -> InstalledEffect {
        let package: Package
        do {
            package = try PackageReader.read(contentsOf: url)
        } catch {
            throw reject(effect: name ?? "(unnamed)", source: url.path, cause: error)
        }
        return try install(package, as: name, source: url.path)
    }

    /// Removes the effect installed under `name`. Requests already running on it finish on
    /// it; its memory is freed when the last of them (and every snapshot holding it) is done.
    ///
    /// - Returns: the removed version, or nil when nothing was installed under `name`.
    @discardableResult
    public func remove(_ name: String) -> EffectVersion? {
        let removed = state.withLock { state -> (EffectVersion, UInt64)? in
            guard let old = state.snapshot[name] else { return nil }
            state.snapshot = state.snapshot.setting(name, to: nil)
            state.statistics.removals += 1
            return (old.version, state.snapshot.generation)
        }
        guard let (version, generation) = removed else { return nil }
        eventHandler?(.removed(version, generation: generation))
        return version
    }

    /// Reports an update source's failure as a `RuntimeEvent.updateFailed`.
    func reportUpdateFailure(source: String, error: RuntimeError) {
        eventHandler?(.updateFailed(source: source, error: error))
    }

    // MARK: - Editing

    /// Edits `photo` with the effect installed under `effect` at `strength` (the effect's
    /// default when nil, clamped to its range otherwise).
    ///
    /// The effect is captured once, before any work: the whole edit runs on that bank even if
    /// it is replaced meanwhile.
    ///
    /// - Parameter levels: the levels whose Δv is applied (all of the bank's when nil).
    /// - Throws: `RuntimeError` `.unknownEffect`, `.badStrength`, `.badPhoto`.
    public func edit(_ photo: RGBImage, effect name: String, strength: Double? = nil,
                     levels: Set<String>? = nil) throws(RuntimeError) -> EditResult {
        guard let effect = effect(named: name) else { throw .unknownEffect(name) }
        hooks.withLock { $0.afterCapture }?(effect)
        let applied = try effect.resolveStrength(strength)
        let session = try prepare(photo, with: effect)
        let image = session.render(strength: applied.applied, levels: levels)
        return EditResult(image: image, version: effect.version, strength: applied)
    }

    /// ψ(x) and Δv of `photo` for `effect`.
    func prepare(_ photo: RGBImage, with effect: InstalledEffect) throws(RuntimeError)
        -> EditSession {
        do {
            return try editor.prepare(photo, bank: effect.bank)
        } catch {
            throw RuntimeError(.badPhoto, error.message + " (effect '\(effect.version.effect)')",
                               context: ["effect.name": effect.version.effect,
                                         "cause.code": error.code.rawValue])
        }
    }

    /// Checks an effect name against the package naming rule.
    static func validateEffectName(_ name: String) throws(RuntimeError) {
        do {
            try Naming.validateName(name)
        } catch {
            throw RuntimeError(.badEffectName,
                               "bad effect name: \(error.message)",
                               context: ["effect.name": String(name.prefix(64))])
        }
    }

    /// Counts and reports a refused bank; returns the error to throw.
    func reject(effect: String, source: String, cause: any Error) -> RuntimeError {
        let error = RuntimeError.invalidBank(effect: effect, source: source, cause: cause)
        state.withLock { $0.statistics.rejections += 1 }
        eventHandler?(.rejected(effect: effect, source: source, error: error))
        return error
    }
}

/// An edited photo and what produced it.
public struct EditResult: Sendable {
    /// The edited photo, the input's size, RGB in [0, 1].
    public let image: RGBImage
    /// The bank version that produced it.
    public let version: EffectVersion
    /// The strength used.
    public let strength: AppliedStrength
}
