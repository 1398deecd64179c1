import Foundation

extension FaceletCommandLine {
    /// The commands that run a bank on photos.
    static let runtimeCommands: [Command] = []
}
