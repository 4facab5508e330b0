public import Foundation

extension Duration {
    /// The duration in seconds, fractions included: what dates and database times are counted in.
    public var timeInterval: TimeInterval {
        TimeInterval(components.seconds) + TimeInterval(components.attoseconds) / 1e18
    }
}
