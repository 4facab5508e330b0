public import GantryModel

/// A pool as the configuration declares it: the settings its manager runs with.
public typealias PoolConfig = PoolSettings
