extension Duration {
    /// The longest duration a master's number of seconds stands for: a century, far beyond any build.
    static let longestRequested = Duration.seconds(100 * 365 * 86_400)

    /// `seconds` from the master as a duration between zero and ``longestRequested``, nil when it is not a
    /// number: `Int(seconds * 1000)` traps on infinite, NaN and huge values.
    static func clamped(seconds: Double) -> Duration? {
        guard !seconds.isNaN else { return nil }
        let longest = Double(longestRequested.components.seconds)
        return .milliseconds(Int((min(max(seconds, 0), longest) * 1000).rounded()))
    }

    /// Whole seconds, for messages.
    var wholeSeconds: Int64 { components.seconds }
}
