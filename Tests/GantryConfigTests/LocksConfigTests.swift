import GantryConfig
import GantryModel
import Testing

/// `locks` at the top level, and the `locks` builders and steps take.
@Suite("ConfigLoader: locks")
struct LocksConfigTests {
    let loader = ConfigLoader(basedir: "/srv/gantry", hostname: "build1")

    /// The problems of `yaml`, each as `path: message`.
    private func problems(_ yaml: String) -> [String] {
        do {
            _ = try loader.parse(yaml)
            return []
        } catch let error as ConfigError {
            return error.problems.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    @Test("master and worker locks, taken by a builder and by a step; counting unless exclusive")
    func valid() throws {
        let config = try loader.parse(
            """
            workers: [{name: wk1, password: p}]
            locks:
              - {name: db, type: master, maxCount: 2}
              - {name: cpu, type: worker, maxCountForWorker: {big: 4}}
            builders:
              - name: b
                workers: [wk1]
                locks: [{name: cpu}]
                steps:
                  - {shell: make, locks: [{name: db, mode: exclusive}]}
                  - {shell: make test}
            """)
        let db = LockConfig(name: "db", kind: .master, maxCount: 2)
        let cpu = LockConfig(name: "cpu", kind: .worker, maxCount: 1, maxCountForWorker: ["big": 4])
        #expect(config.locks == [db, cpu])
        let builder = try #require(config.builders.first)
        #expect(builder.locks == [LockAccess(cpu, mode: .counting)])
        #expect(builder.steps.map(\.locks) == [[LockAccess(db, mode: .exclusive)], []])
        #expect(cpu.maxCount(onWorker: "big") == 4 && cpu.maxCount(onWorker: "wk1") == 1)
    }

    @Test("mistakes in locks and in what takes them are located, and the file is refused")
    func mistakes() {
        #expect(
            problems(
                """
                locks:
                  - {name: db, type: master, maxCount: 0}
                  - {name: db, type: master}
                  - {name: big, type: worker, maxCount: 1001}
                  - {name: net, maxCountForWorker: {w1: 2}}
                  - {name: "9x", type: queue}
                builders:
                  - name: b
                    locks: [{name: net}, {name: net}, {name: nope}, {name: big, mode: shared}]
                    steps:
                      - {shell: make, locks: [{name: net}]}
                      - {shell: make, locks: {name: db}}
                """) == [
                    "locks[0].maxCount: must be a whole number from 1 to 1000",
                    "locks[1].name: 'db' is used twice",
                    "locks[2].maxCount: must be a whole number from 1 to 1000",
                    "locks[3].type: is required: master or worker",
                    "locks[3].maxCountForWorker: only a worker lock has counts per worker",
                    "locks[4].name: '9x' is not a valid lock name (\(Identifier.rule))",
                    "locks[4].type: must be master or worker",
                    "builders[0].steps[1].locks: must be a list",
                    "builders[0].locks[1].name: 'net' is used twice",
                    "builders[0].locks[2].name: 'nope' is not a lock of this configuration",
                    "builders[0].locks[3].mode: must be counting or exclusive",
                    "builders[0].locks: 'net' is taken by the builder and by its step 'shell'; take it in one place",
                ])
    }
}
