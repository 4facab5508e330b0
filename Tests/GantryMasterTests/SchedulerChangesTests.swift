import GantryCluster
import GantryConfig
import GantryMaster
import GantryModel
import GantryScheduling
import GantryTesting
import Testing

@Suite("Reconfiguration plan", .paced)
struct SchedulerChangesTests {
    @Test("matched by name: unchanged untouched, changed or retyped restarted, removed stopped, new started")
    func plan() async throws {
        try await withTestDatabase(.sqlite) { db in
            let factory = SchedulerFactory(database: db, clock: ManualClock(), logger: silentLogger)
            let hourly = SchedulerConfig(name: "same", builderNames: ["a"], kind: .periodic(interval: .seconds(3600)))
            let old = [
                hourly,
                SchedulerConfig(name: "changed", builderNames: ["a"], kind: .periodic(interval: .seconds(60))),
                SchedulerConfig(name: "retyped", builderNames: ["a"], kind: .periodic(interval: .seconds(60))),
                SchedulerConfig(name: "removed", builderNames: ["a"], kind: .periodic(interval: .seconds(60))),
            ]
            let new = [
                hourly,
                SchedulerConfig(name: "changed", builderNames: ["a", "b"], kind: .periodic(interval: .seconds(60))),
                SchedulerConfig(name: "retyped", builderNames: ["a"], kind: .force(parameters: [])),
                SchedulerConfig(name: "added", builderNames: ["a"], kind: .periodic(interval: .seconds(60))),
            ]
            let described = factory.changes(from: old, to: new).map { change -> String in
                switch change {
                case .start(let behavior): "start \(behavior.name)"
                case .stop(_, let name): "stop \(name)"
                case .restart(let behavior): "restart \(behavior.name) as \(type(of: behavior))"
                }
            }
            #expect(
                described == [
                    "stop removed", "restart changed as PeriodicScheduler", "restart retyped as ForceScheduler",
                    "start added",
                ])
        }
    }
}
