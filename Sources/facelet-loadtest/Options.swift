import Foundation

/// Command-line options of `facelet-loadtest`.
struct Options {
    /// Seconds each load phase runs (at most).
    var seconds = 10.0
    /// Rounds of (a phase without swaps, a phase with swaps); 0 runs only the soak.
    var rounds = 2
    /// Concurrent clients.
    var clients = 4
    /// Requests per phase (at most).
    var maximumRequests = 20_000
    /// Side of the square test photo, in pixels.
    var photo = 64
    /// Width multiplier of the random VGG-19 backbone.
    var width = 1 / 16.0
    /// Seconds between re-publications during the swap phase.
    var publishInterval = 1.0
    /// Seconds between the follower's change-counter polls.
    var poll = 0.05
    /// Install/remove cycles of the soak.
    var soakCycles = 1000
    /// Width multiplier of the soak's backbone (its bank size follows).
    var soakWidth = 1 / 16.0

    static let usage = """
        usage: facelet-loadtest [--rounds R] [--seconds S] [--clients N] [--max-requests N]
                                [--photo PX] [--width W] [--publish-interval S] [--poll S]
                                [--soak-cycles N] [--soak-width W]
        Runs loopback-only load against the runtime service: R rounds of a phase without
        swaps and a phase while a bank is re-published every interval (each phase at most
        S seconds and N requests), then an install/remove soak, and prints the figures.
        """

    /// Parses `arguments` (without the program name); nil after printing the usage.
    static func parse(_ arguments: [String]) -> Options? {
        var options = Options()
        var index = 0
        func value() -> Double? {
            index += 1
            return index < arguments.count ? Double(arguments[index]) : nil
        }
        while index < arguments.count {
            let flag = arguments[index]
            guard let number = value(), number > 0 || (flag == "--rounds" && number == 0) else {
                print(usage)
                return nil
            }
            switch flag {
            case "--seconds": options.seconds = min(number, 120)
            case "--rounds": options.rounds = min(Int(number), 10)
            case "--clients": options.clients = min(Int(number), 64)
            case "--max-requests": options.maximumRequests = min(Int(number), 1_000_000)
            case "--photo": options.photo = min(Int(number), 1024)
            case "--width": options.width = min(number, 1)
            case "--publish-interval": options.publishInterval = number
            case "--poll": options.poll = number
            case "--soak-cycles": options.soakCycles = min(Int(number), 100_000)
            case "--soak-width": options.soakWidth = min(number, 1)
            default:
                print(usage)
                return nil
            }
            index += 1
        }
        return options
    }
}
