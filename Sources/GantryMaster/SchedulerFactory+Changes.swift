package import GantryCluster
package import GantryConfig

extension SchedulerFactory {
    /// What turns the running schedulers (`old`) into the configured ones (`new`), matched by name: unchanged
    /// ones are left alone, changed ones restarted, new ones started, missing ones stopped.
    package func changes(from old: [SchedulerConfig], to new: [SchedulerConfig]) -> [ServiceChange] {
        serviceChanges(.scheduler, from: old, to: new, name: \.name, make: make)
    }
}
