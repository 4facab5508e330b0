package import GantryCluster
package import GantryConfig

extension SchedulerFactory {
    /// What turns the running schedulers (`old`) into the configured ones (`new`), matched by name: unchanged
    /// ones are left alone, changed ones restarted, new ones started, missing ones stopped.
    package func changes(from old: [SchedulerConfig], to new: [SchedulerConfig]) -> [ServiceChange] {
        let before = Dictionary(old.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let after = Set(new.map(\.name))
        var changes: [ServiceChange] = old.filter { !after.contains($0.name) }.map {
            .stop(kind: .scheduler, name: $0.name)
        }
        for config in new {
            switch before[config.name] {
            case nil: changes.append(.start(make(config)))
            case config?: continue
            case _?: changes.append(.restart(make(config)))
            }
        }
        return changes
    }
}
