import GantryCluster
import GantryModel

/// What turns the running services of one kind (configured as `old`) into the configured ones (`new`), matched
/// by name: unchanged ones are left alone, changed ones restarted, new ones started, missing ones stopped.
func serviceChanges<Config: Hashable>(
    _ kind: ServiceKind, from old: [Config], to new: [Config], name: (Config) -> String,
    make: (Config) -> any ClusteredServiceBehavior
) -> [ServiceChange] {
    let before = Dictionary(old.map { (name($0), $0) }, uniquingKeysWith: { first, _ in first })
    let after = Set(new.map(name))
    var changes: [ServiceChange] = old.filter { !after.contains(name($0)) }.map {
        .stop(kind: kind, name: name($0))
    }
    for config in new {
        switch before[name(config)] {
        case nil: changes.append(.start(make(config)))
        case config?: continue
        case _?: changes.append(.restart(make(config)))
        }
    }
    return changes
}
