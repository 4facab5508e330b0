/// Durations as operators write them: a whole number with a unit, `500ms`, `2s`, `5m`, `1h`, and for what is kept
/// for days, `30d`.
public enum DurationText {
    /// About 68 years, in milliseconds: longer is a typo, and every use of a duration (a timer, a timeout in
    /// milliseconds on the wire) stays far from overflowing.
    static let maximum = Int64(Int32.max) * 1000

    /// The duration `text` denotes, or `nil` when it is not of that form or longer than `maximum`.
    /// - Parameter days: Whether `d` (days) is a unit too: only for what is kept that long, so that a timer of
    ///   `1d` stays the typo it most likely is.
    public static func parse(_ text: String, days: Bool = false) -> Duration? {
        var units: [(suffix: String, milliseconds: Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        if days { units.append(("d", 86_400_000)) }
        for unit in units where text.hasSuffix(unit.suffix) {
            guard let value = Int64(text.dropLast(unit.suffix.count)), value >= 0 else { return nil }
            let (milliseconds, overflow) = value.multipliedReportingOverflow(by: unit.milliseconds)
            guard !overflow, milliseconds <= maximum else { return nil }
            return .milliseconds(milliseconds)
        }
        return nil
    }
}
