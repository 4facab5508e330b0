import Foundation

extension Date {
    /// The date as whole seconds since 1970, the unit every timestamp column stores; clamped, so no date converts
    /// to an out-of-range integer.
    var epochSeconds: Int {
        let seconds = timeIntervalSince1970.rounded(.down)
        return seconds.isNaN ? 0 : Int(max(-9e18, min(9e18, seconds)))
    }

    /// The date as whole milliseconds since 1970, clamped like ``epochSeconds``.
    var epochMilliseconds: Int {
        let milliseconds = (timeIntervalSince1970 * 1000).rounded()
        return milliseconds.isNaN ? 0 : Int(max(-9e18, min(9e18, milliseconds)))
    }

    /// The date `seconds` after 1970, as a timestamp column is read back.
    init(epochSeconds seconds: Int) {
        self.init(timeIntervalSince1970: TimeInterval(seconds))
    }
}
