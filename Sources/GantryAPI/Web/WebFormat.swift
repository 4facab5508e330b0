import Foundation
import GantryModel

/// How the web UI writes times, durations and results, the same on every page.
enum WebFormat {
    /// `2026-12-04 10:00:01 UTC`: one time zone for every reader of a cluster's pages.
    static func time(_ date: Date) -> String {
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let day = "\(parts.year ?? 0)-\(two(parts.month))-\(two(parts.day))"
        return "\(day) \(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) UTC"
    }

    /// `12s`, `3m 04s`, `2h 05m`, `3d 04h`: the two largest units, which is all a glance needs. Negative
    /// (a clock stepped back) is `0s`.
    static func duration(_ seconds: Int) -> String {
        let seconds = max(seconds, 0)
        switch seconds {
        case ..<60: return "\(seconds)s"
        case ..<3600: return "\(seconds / 60)m \(two(seconds % 60))s"
        case ..<86400: return "\(seconds / 3600)h \(two(seconds / 60 % 60))m"
        default: return "\(seconds / 86400)d \(two(seconds / 3600 % 24))h"
        }
    }

    /// The time from `start` to `end`, as ``duration(_:)`` writes it.
    static func duration(from start: Date, to end: Date) -> String {
        let interval = end.timeIntervalSince(start)
        // Stored times are whole seconds, but a converted Double out of Int's range would trap.
        return duration(interval.isFinite ? Int(min(max(interval, 0), 1e12)) : 0)
    }

    /// The label and CSS class of a build's, step's or request's state: its result once complete (`SUCCESS`,
    /// class `success`), else `RUNNING` once started, else `PENDING`.
    static func state(_ results: BuildResult?, complete: Bool, started: Bool = true) -> [String: Any] {
        let name =
            if complete { results?.name ?? "unknown" } else if started { "running" } else { "pending" }
        return ["label": name.uppercased(), "class": name]
    }

    /// A JSON value (a property, a default) as a page shows it: a string as it is, a whole number without a
    /// fraction, anything else as JSON.
    static func text(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): text
        case .number(let number) where number == number.rounded() && abs(number) < 1e15: String(Int(number))
        default: value.jsonText
        }
    }

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        return calendar
    }()

    private static func two(_ number: Int?) -> String {
        let number = number ?? 0
        return number < 10 ? "0\(number)" : "\(number)"
    }
}
