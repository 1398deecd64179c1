import Foundation

extension FaceletCommandLine {
    /// The commands that manage the store.
    static let storeCommands: [Command] = []
}
