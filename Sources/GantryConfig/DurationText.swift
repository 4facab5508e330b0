/// Durations as operators write them: a whole number with a unit, `500ms`, `2s`, `5m`, `1h`.
public enum DurationText {
    /// The duration `text` denotes, or `nil` when it is not of that form.
    public static func parse(_ text: String) -> Duration? {
        let units: [(suffix: String, make: (Int64) -> Duration)] = [
            ("ms", { .milliseconds($0) }),
            ("s", { .seconds($0) }),
            ("m", { .seconds($0 * 60) }),
            ("h", { .seconds($0 * 3600) }),
        ]
        for unit in units where text.hasSuffix(unit.suffix) {
            guard let value = Int64(text.dropLast(unit.suffix.count)), value >= 0 else { return nil }
            return unit.make(value)
        }
        return nil
    }
}
