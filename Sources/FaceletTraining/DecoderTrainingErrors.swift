extension TrainingError.Code {
    /// The backbone's architecture uses an op decoder training does not support yet.
    public static let unsupportedArchitecture = TrainingError.Code(
        rawValue: "unsupported-architecture")
}
