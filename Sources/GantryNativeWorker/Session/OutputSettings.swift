import GantryWire

// Foundation's essentials only: the worker executable loads neither ICU nor the rest of Foundation.
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// How commands buffer and cut their output (`set_worker_settings`; Buildbot's defaults until a master sends
/// its own). Each value is kept in a range where it can neither trap nor stall the worker; a command keeps
/// the settings it started with.
struct OutputSettings: Sendable {
    var newlinePattern = LineSplitter.buildbotPattern
    var maxLineLength = 4096
    var bufferTimeout = Duration.seconds(5)
    var bufferSize = 65_536

    /// The longest line and the largest buffer a master may ask for: one update must fit in a frame, and a
    /// command's output must not be held whole.
    static let longestLine = 1 << 20
    static let largestBuffer = 1 << 20

    /// These settings with `args`' values; one that is missing or unusable leaves its setting as it was.
    /// - Returns: The settings, and the names of the values that were not used.
    func updated(with args: MessagePackValue?) -> (settings: OutputSettings, ignored: [String]) {
        var settings = self
        var ignored: [String] = []
        if let pattern = args?["newline_re"]?.stringValue {
            // Buildbot's own pattern, which every master sends, is known good: the regular expression parser is
            // then not loaded until output holds a `\r`, an escape or a backspace.
            if pattern == LineSplitter.buildbotPattern || LineSplitter.compile(pattern) != nil {
                settings.newlinePattern = pattern
            } else {
                ignored.append("newline_re")
            }
        }
        if let length = args?["max_line_length"]?.intValue {
            settings.maxLineLength = min(max(length, 2), Self.longestLine)
        }
        if let seconds = args?["buffer_timeout"]?.doubleValue {
            if let timeout = Duration.clamped(seconds: seconds) {
                settings.bufferTimeout = timeout
            } else {
                ignored.append("buffer_timeout")
            }
        }
        if let size = args?["buffer_size"]?.intValue {
            settings.bufferSize = min(max(size, 1), Self.largestBuffer)
        }
        return (settings, ignored)
    }
}
