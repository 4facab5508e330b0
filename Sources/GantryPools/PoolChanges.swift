package import GantryModel

/// What a new configuration changes in the pools, so the master starts and stops their clustered services.
public struct PoolChanges: Sendable, Hashable {
    /// New pools: their services are to start, and poll for the claim.
    public var added: [String]
    /// Pools gone: their services are to stop (the workers here are stopped and the claim released).
    public var removed: [String]
    /// Pools with new settings: they keep their workers and their claim, and follow the settings from their next
    /// look, so their services need no restart.
    public var changed: [String]

    /// The changes from `old` (by name) to `new`, each list sorted; of two pools with one name, the first counts.
    package init(from old: [String: PoolSettings], to new: [PoolSettings]) {
        let new = Dictionary(new.map { ($0.name, $0) }) { first, _ in first }
        added = new.keys.filter { old[$0] == nil }.sorted()
        removed = old.keys.filter { new[$0] == nil }.sorted()
        changed = new.compactMap { name, settings in
            old[name].flatMap { $0 == settings ? nil : name }
        }.sorted()
    }
}
