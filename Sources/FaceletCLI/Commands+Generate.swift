import Foundation

extension FaceletCommandLine {
    /// The commands that make seeded random packages.
    static let generatorCommands: [Command] = []
}
