public import Foundation

/// Buildbot's `Nightly` times: minute, hour, dayOfMonth, month and dayOfWeek, each a set of values, in a time zone.
///
/// As in cron, when both dayOfMonth and dayOfWeek are restricted a day matching either is a build day. Days of
/// the week count from Monday = 0, as in Buildbot.
public struct CronSchedule: Sendable, Hashable {
    public var minute: CronField
    public var hour: CronField
    public var dayOfMonth: CronField
    public var month: CronField
    public var dayOfWeek: CronField
    public var timeZone: TimeZone

    /// Buildbot's defaults: hourly at minute 0.
    public init(
        minute: CronField = CronField(values: [0], range: CronField.Unit.minute.range),
        hour: CronField = .any(.hour),
        dayOfMonth: CronField = .any(.dayOfMonth),
        month: CronField = .any(.month),
        dayOfWeek: CronField = .any(.dayOfWeek),
        timeZone: TimeZone = .current
    ) {
        self.minute = minute
        self.hour = hour
        self.dayOfMonth = dayOfMonth
        self.month = month
        self.dayOfWeek = dayOfWeek
        self.timeZone = timeZone
    }

    /// Whether `date` (to the minute) is one of the schedule's times.
    public func matches(_ date: Date) -> Bool {
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: date)
        return month.contains(parts.month) && isBuildDay(parts) && hour.contains(parts.hour)
            && minute.contains(parts.minute)
    }

    /// The first time of the schedule strictly after `date`; `nil` when none falls in the next eight years
    /// (February 30th).
    public func next(after date: Date) -> Date? {
        let calendar = calendar
        guard let start = calendar.dateInterval(of: .minute, for: date)?.end,
            var day = calendar.dateInterval(of: .day, for: start)?.start
        else { return nil }
        for _ in 0..<(366 * 8) {
            let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: day)
            if month.contains(parts.month) && isBuildDay(parts) {
                for hour in hour.values {
                    for minute in minute.values {
                        var time = parts
                        time.weekday = nil
                        time.hour = hour
                        time.minute = minute
                        if let candidate = calendar.date(from: time), candidate >= start { return candidate }
                    }
                }
            }
            guard let following = calendar.date(byAdding: .day, value: 1, to: day) else { return nil }
            day = following
        }
        return nil
    }

    private var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }

    private func isBuildDay(_ parts: DateComponents) -> Bool {
        // Calendar counts Sunday = 1; Buildbot counts Monday = 0.
        let weekday = parts.weekday.map { ($0 + 5) % 7 }
        switch (dayOfMonth.isAny, dayOfWeek.isAny) {
        case (true, true): return true
        case (false, true): return dayOfMonth.contains(parts.day)
        case (true, false): return dayOfWeek.contains(weekday)
        case (false, false): return dayOfMonth.contains(parts.day) || dayOfWeek.contains(weekday)
        }
    }
}

/// One field of a ``CronSchedule``: the values it allows.
public struct CronField: Sendable, Hashable {
    public enum Unit: String, Sendable, CaseIterable {
        case minute, hour, dayOfMonth, month, dayOfWeek

        public var range: ClosedRange<Int> {
            switch self {
            case .minute: 0...59
            case .hour: 0...23
            case .dayOfMonth: 1...31
            case .month: 1...12
            case .dayOfWeek: 0...6
            }
        }

        var names: [String] {
            switch self {
            case .month: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
            case .dayOfWeek: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            default: []
            }
        }
    }

    /// Ascending.
    public let values: [Int]
    /// Whether the field allows every value (`*`), which matters for the day-of-month / day-of-week rule.
    public let isAny: Bool

    public init(values: Set<Int>, range: ClosedRange<Int>) {
        self.values = values.sorted()
        self.isAny = values == Set(range)
    }

    public static func any(_ unit: Unit) -> CronField {
        CronField(values: Set(unit.range), range: unit.range)
    }

    /// Parses cron text: `*`, `5`, `1,15`, `1-5`, `*/15`, `10-50/10`, and names (`mon-fri`, `jan`).
    public init(parsing text: String, unit: Unit) throws(GantryError) {
        let range = unit.range
        var values: Set<Int> = []
        for item in text.lowercased().split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count) else { throw Self.invalid(text, unit) }
            var step = 1
            if parts.count == 2 {
                guard let parsed = Int(parts[1]), parsed > 0 else { throw Self.invalid(text, unit) }
                step = parsed
            }
            let span: ClosedRange<Int>
            if parts[0] == "*" {
                span = range
            } else {
                let bounds = try parts[0].split(separator: "-", omittingEmptySubsequences: false).map {
                    (bound) throws(GantryError) -> Int in
                    let text = String(bound).trimmingCharacters(in: .whitespaces)
                    if let number = Int(text) { return number }
                    if let index = unit.names.firstIndex(of: text) { return index + range.lowerBound }
                    throw Self.invalid(text, unit)
                }
                guard (1...2).contains(bounds.count), let low = bounds.first, let high = bounds.last, low <= high,
                    range.contains(low), range.contains(high)
                else { throw Self.invalid(text, unit) }
                span = low...(parts.count == 2 && bounds.count == 1 ? range.upperBound : high)
            }
            values.formUnion(stride(from: span.lowerBound, through: span.upperBound, by: step))
        }
        self.init(values: values, range: range)
    }

    func contains(_ value: Int?) -> Bool {
        value.map { values.contains($0) } ?? false
    }

    private static func invalid(_ text: String, _ unit: Unit) -> GantryError {
        GantryError(
            .invalidArgument,
            "'\(text)' is not a valid \(unit.rawValue) (use numbers in \(unit.range.lowerBound)-\(unit.range.upperBound), "
                + "lists, ranges, */steps\(unit.names.isEmpty ? "" : " or names like \(unit.names[0])"))")
    }
}
