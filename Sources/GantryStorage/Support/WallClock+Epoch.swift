import GantryModel

extension WallClock {
    /// Now as whole seconds since 1970, the unit every timestamp column stores.
    func epochSeconds() -> Int {
        Int(now().timeIntervalSince1970.rounded(.down))
    }
}
