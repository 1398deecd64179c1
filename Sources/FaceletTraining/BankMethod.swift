/// How a bank's Δv is obtained from the two photo sets.
public enum BankMethod: String, Sendable, Codable, CaseIterable {
    /// Eq. 5: Δv = mean ψ(Y) − mean ψ(X), one constant per level and channel (the spatial mean
    /// per channel, the form a bank of convolutions can express).
    case globalMean = "global-mean"
    /// Δv*(x) of Eq. 6 applied directly, computed from the stored sets at edit time; not
    /// storable as a bank (see `KNNEffect`).
    case knn
    /// The learned bank: Adam on Eq. 7 towards Δv*.
    case facelet
}
