import FaceletTensor

/// The deep feature ψ(x) of a photo, or a change Δv to it: one NCHW tensor per named level,
/// in the backbone's level order (shallow to deep).
public struct FeatureSet: Sendable, Equatable {
    /// The level names in order.
    public private(set) var names: [String]
    private var tensors: [String: Tensor]

    /// An empty set.
    public init() {
        names = []
        tensors = [:]
    }

    /// A set from ordered `(level, tensor)` pairs.
    ///
    /// - Precondition: level names are unique.
    public init(_ pairs: [(String, Tensor)]) {
        self.init()
        for (name, tensor) in pairs {
            precondition(tensors[name] == nil, "level '\(name)' appears twice")
            self[name] = tensor
        }
    }

    /// The tensor of a level, or nil when the set lacks it. Setting a new level appends it;
    /// setting nil removes it.
    public subscript(level: String) -> Tensor? {
        get { tensors[level] }
        set {
            if let newValue {
                if tensors.updateValue(newValue, forKey: level) == nil { names.append(level) }
            } else if tensors.removeValue(forKey: level) != nil {
                names.removeAll { $0 == level }
            }
        }
    }

    /// The number of levels.
    public var count: Int { names.count }

    /// Whether the set has no level.
    public var isEmpty: Bool { names.isEmpty }

    /// The `(level, tensor)` pairs in order.
    public var levels: [(name: String, tensor: Tensor)] {
        names.compactMap { name in tensors[name].map { (name, $0) } }
    }

    /// `self + scale · delta` on the levels that `delta` has and `levels` allows (every level of
    /// `delta` when nil); other levels are kept as they are.
    ///
    /// - Precondition: every added level exists here with the same shape.
    public func adding(_ delta: FeatureSet, scale: Float, levels: Set<String>? = nil)
        -> FeatureSet {
        var out = self
        for (name, change) in delta.levels where levels?.contains(name) ?? true {
            guard let base = tensors[name] else {
                preconditionFailure("cannot add level '\(name)': the feature set lacks it")
            }
            out[name] = Ops.addScaled(base, change, scale: scale)
        }
        return out
    }

    /// Two sets are equal when they have the same levels in the same order with equal tensors.
    public static func == (lhs: FeatureSet, rhs: FeatureSet) -> Bool {
        lhs.names == rhs.names && lhs.tensors == rhs.tensors
    }
}
