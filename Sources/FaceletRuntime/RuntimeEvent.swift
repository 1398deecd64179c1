/// Something the runtime did or refused, delivered to the embedding service's event handler.
///
/// Handlers run synchronously on the thread that caused the event, after the switch (the
/// runtime's lock is not held), so they may call back into the runtime; keep them quick.
public enum RuntimeEvent: Sendable, CustomStringConvertible {
    /// A bank was installed under a name that had none.
    case installed(EffectVersion, residentBytes: Int, generation: UInt64)
    /// A bank replaced the one installed under its name.
    case replaced(old: EffectVersion, new: EffectVersion, residentBytes: Int,
                  generation: UInt64)
    /// An effect was removed.
    case removed(EffectVersion, generation: UInt64)
    /// A bank failed validation; whatever was installed under the name keeps serving.
    case rejected(effect: String, source: String, error: RuntimeError)
    /// An update source could not be read (the store was busy, damaged or gone); nothing
    /// changed.
    case updateFailed(source: String, error: RuntimeError)

    /// One line for a log.
    public var description: String {
        switch self {
        case .installed(let version, let bytes, let generation):
            "runtime.installed \(version) resident_bytes=\(bytes) generation=\(generation)"
        case .replaced(let old, let new, let bytes, let generation):
            "runtime.replaced \(new.effect) \(old.package):\(old.version) (\(old.digest.short))"
                + " -> \(new.package):\(new.version) (\(new.digest.short))"
                + " resident_bytes=\(bytes) generation=\(generation)"
        case .removed(let version, let generation):
            "runtime.removed \(version) generation=\(generation)"
        case .rejected(let effect, let source, let error):
            "runtime.rejected effect=\(effect) source=\(source) \(error)"
        case .updateFailed(let source, let error):
            "runtime.update_failed source=\(source) \(error)"
        }
    }
}

/// Counts of what the runtime has done since it started.
public struct RuntimeStatistics: Sendable, Equatable {
    /// Banks installed under a name that had none.
    public var installs = 0
    /// Banks that replaced an installed one.
    public var replacements = 0
    /// Effects removed.
    public var removals = 0
    /// Banks refused by validation.
    public var rejections = 0

    /// Installs plus replacements plus removals: every switch of the table.
    public var swaps: Int { installs + replacements + removals }
}
