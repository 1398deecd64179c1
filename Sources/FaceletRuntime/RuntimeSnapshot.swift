/// The installed-bank table at one moment: immutable, so a request that captured it keeps
/// seeing exactly these banks however many swaps happen meanwhile.
///
/// A swap never edits a snapshot; it makes a new one with a higher `generation` and switches
/// the runtime's current snapshot to it in one step.
public struct RuntimeSnapshot: Sendable {
    /// Grows by one with every install, replacement and removal.
    public let generation: UInt64
    /// The installed effects by name.
    public let effects: [String: InstalledEffect]

    /// An empty table at generation 0.
    init() {
        generation = 0
        effects = [:]
    }

    private init(generation: UInt64, effects: [String: InstalledEffect]) {
        self.generation = generation
        self.effects = effects
    }

    /// The effect installed under `name`, if any.
    public subscript(name: String) -> InstalledEffect? { effects[name] }

    /// The effects sorted by name.
    public var sorted: [InstalledEffect] {
        effects.keys.sorted().compactMap { effects[$0] }
    }

    /// The bytes all installed banks' weights occupy.
    public var residentBytes: Int {
        effects.values.reduce(0) { $0 + $1.residentBytes }
    }

    /// The next snapshot with `effect` installed under `name` (nil removes it).
    func setting(_ name: String, to effect: InstalledEffect?) -> RuntimeSnapshot {
        var effects = self.effects
        effects[name] = effect
        return RuntimeSnapshot(generation: generation + 1, effects: effects)
    }
}
