import GantryModel
import GantryPools
import GantryTesting
import Testing

/// The pool machine driven directly, on 1 s ticks: no database, clock, process or socket.
@Suite("Pool state machine", .paced)
struct PoolStateMachineTests {
    typealias Action = PoolStateMachine.Action
    typealias Observation = PoolStateMachine.Observation
    typealias Gauges = PoolStateMachine.Gauges
    typealias Member = PoolStateMachine.Member

    private let passwords: Set<String> = ["c-1", "c-2", "c-3"]

    /// Pool `c` for builder `b1`: up to 3 workers, failing when not connected after 10 s, then `change`d.
    private func pool(_ change: (inout PoolSettings) -> Void = { _ in }) -> PoolSettings {
        var pool = PoolSettings(name: "c", builders: ["b1"], maxWorkers: 3, startTimeout: .seconds(10))
        change(&pool)
        return pool
    }

    /// A machine with `settings` configured and its claim won.
    private func claimed(_ settings: PoolSettings, passwords: Set<String>? = nil) -> PoolStateMachine {
        var machine = PoolStateMachine(tick: .seconds(1))
        _ = machine.configured([settings], withPasswords: passwords ?? self.passwords)
        _ = machine.claimed("c")
        return machine
    }

    /// A machine whose pool has `names` started (one look) and connected, idle (the next look).
    private func running(_ settings: PoolSettings, connected names: [String]) -> PoolStateMachine {
        var machine = claimed(settings)
        _ = machine.looked("c", Observation(pending: names.count))
        _ = machine.looked("c", Observation(attached: Set(names)))
        return machine
    }

    /// A tick, then the look it wakes.
    private func tickAndLook(_ machine: inout PoolStateMachine, _ observation: Observation) -> [Action] {
        #expect(machine.tick("c") == [.look(pool: "c")])
        return machine.looked("c", observation)
    }

    private func states(_ machine: PoolStateMachine) -> [String: PoolManager.WorkerState] {
        Dictionary(uniqueKeysWithValues: machine.members(of: "c").map { ($0.name, $0.state) })
    }

    // MARK: - Configuration and claim

    @Test("a first configuration records nothing; a reload records configReloaded for each pool managed here")
    func reconfigured() {
        var machine = PoolStateMachine(tick: .seconds(1))
        #expect(machine.configured([pool()], withPasswords: passwords) == [])
        #expect(machine.claimed("c") == [.record(pool: "c", worker: nil, kind: .claimed), .look(pool: "c")])
        let other = PoolSettings(name: "d", builders: ["b2"], maxWorkers: 1)
        let reloaded = machine.configured([pool { $0.maxWorkers = 2 }, other], withPasswords: passwords)
        #expect(reloaded == [.record(pool: "c", worker: nil, kind: .configReloaded)])
        #expect(machine.settings["c"]?.maxWorkers == 2 && machine.settings["d"] == other)
        #expect(machine.lookable("c")?.maxWorkers == 2 && machine.lookable("d") == nil, "d is not claimed here")
    }

    @Test("the changes of a configuration: pools added, removed, and changed (which keep their workers)")
    func changes() {
        let old = ["a": pool { $0.name = "a" }, "b": pool { $0.name = "b" }, "c": pool()]
        let changedB = pool {
            $0.name = "b"
            $0.minIdle = 1
        }
        let changes = PoolChanges(from: old, to: [pool { $0.name = "d" }, pool { $0.name = "a" }, changedB])
        #expect(changes.added == ["d"] && changes.removed == ["c"] && changes.changed == ["b"])
    }

    // MARK: - Spinning up

    @Test("workers start for the requests beyond idle and starting ones, all at once without minStartInterval")
    func spinUpByDemand() {
        var machine = claimed(pool())
        #expect(
            machine.looked("c", Observation(pending: 2)) == [
                .start(pool: "c", worker: "c-1"), .record(pool: "c", worker: "c-1", kind: .startRequested),
                .start(pool: "c", worker: "c-2"), .record(pool: "c", worker: "c-2", kind: .startRequested),
                .report(pool: "c", gauges: Gauges(starting: 2, queued: 2)),
            ])
        #expect(
            machine.looked("c", Observation(pending: 2))
                == [.report(pool: "c", gauges: Gauges(starting: 2, queued: 2))],
            "the starting ones cover the demand")
        #expect(states(machine) == ["c-1": .starting, "c-2": .starting])
    }

    @Test("minIdle idle workers are kept ready: one starts with no request, another once it builds")
    func spinUpForMinIdle() {
        var machine = claimed(pool { $0.minIdle = 1 })
        #expect(startedWorkers(machine.looked("c", Observation())) == ["c-1"])
        #expect(
            machine.looked("c", Observation(attached: ["c-1"])) == [
                .record(pool: "c", worker: "c-1", kind: .connected), .report(pool: "c", gauges: Gauges(idle: 1)),
            ])
        #expect(
            machine.looked("c", Observation(attached: ["c-1"], busy: ["c-1"])) == [
                .start(pool: "c", worker: "c-2"), .record(pool: "c", worker: "c-2", kind: .startRequested),
                .report(pool: "c", gauges: Gauges(starting: 1, busy: 1)),
            ])
    }

    @Test("no more than maxWorkers start, however many requests wait")
    func capAtMaxWorkers() {
        var machine = claimed(pool())
        #expect(startedWorkers(machine.looked("c", Observation(pending: 10))) == ["c-1", "c-2", "c-3"])
        #expect(startedWorkers(machine.looked("c", Observation(pending: 10))).isEmpty)
        let ticked = tickAndLook(&machine, Observation(pending: 10))
        #expect(startedWorkers(ticked).isEmpty)
    }

    @Test("starts are spaced by minStartInterval, counted in ticks")
    func minStartInterval() {
        var machine = claimed(pool { $0.minStartInterval = .seconds(3) })
        var count = startedWorkers(machine.looked("c", Observation(pending: 5))).count
        #expect(count == 1)
        #expect(machine.demand("c") == [.look(pool: "c")])
        #expect(startedWorkers(machine.looked("c", Observation(pending: 5))).isEmpty, "demand counts no time")
        var startedAt: [Int: Int] = [:]
        for second in 1...6 {
            count += startedWorkers(tickAndLook(&machine, Observation(pending: 5))).count
            startedAt[second] = count
        }
        #expect(startedAt == [1: 1, 2: 1, 3: 2, 4: 2, 5: 2, 6: 3])
    }

    @Test("only workers with a password start")
    func missingPassword() {
        var machine = claimed(pool(), passwords: ["c-2"])
        #expect(startedWorkers(machine.looked("c", Observation(pending: 3))) == ["c-2"])
    }

    // MARK: - Time

    @Test("a look for demand between ticks counts no time; ticks between two looks count once")
    func demandBetweenTicks() {
        var machine = claimed(
            pool {
                $0.maxWorkers = 1
                $0.startTimeout = .seconds(1)
            })
        #expect(startedWorkers(machine.looked("c", Observation(pending: 1))) == ["c-1"])
        #expect(machine.demand("c") == [.look(pool: "c")])
        #expect(
            machine.looked("c", Observation(pending: 1))
                == [.report(pool: "c", gauges: Gauges(starting: 1, queued: 1))])
        #expect(machine.handledTicks["c"] == nil)
        #expect(machine.tick("c") == [.look(pool: "c")])
        #expect(machine.tick("c") == [.look(pool: "c")])
        #expect(
            machine.looked("c", Observation(pending: 1)) == [
                .stop(pool: "c", worker: "c-1"), .countStartFailure(pool: "c"),
                .record(pool: "c", worker: "c-1", kind: .startFailed, detail: "not connected after 1.0 seconds"),
                .report(pool: "c", gauges: Gauges(queued: 1)),
            ])
        #expect(machine.handledTicks["c"] == 1)
    }

    @Test("a worker not connected after startTimeout is stopped and counted as a failure; another name starts")
    func startTimeout() {
        var machine = claimed(pool())
        #expect(startedWorkers(machine.looked("c", Observation(pending: 1))) == ["c-1"])
        for _ in 1...9 {
            let ticked = tickAndLook(&machine, Observation(pending: 1))
            #expect(stoppedWorkers(ticked).isEmpty)
        }
        let timedOut = tickAndLook(&machine, Observation(pending: 1))
        #expect(
            timedOut == [
                .stop(pool: "c", worker: "c-1"), .countStartFailure(pool: "c"),
                .record(pool: "c", worker: "c-1", kind: .startFailed, detail: "not connected after 10.0 seconds"),
                .start(pool: "c", worker: "c-2"), .record(pool: "c", worker: "c-2", kind: .startRequested),
                .report(pool: "c", gauges: Gauges(starting: 1, queued: 1)),
            ])
        #expect(machine.failures["c"] == 1 && machine.stopping["c"] == ["c-1"])
    }

    @Test("a failed start is counted and forgotten, and its name may start again at once")
    func startFailure() {
        var machine = claimed(pool())
        #expect(startedWorkers(machine.looked("c", Observation(pending: 1))) == ["c-1"])
        #expect(
            machine.looked("c", Observation(failedStarts: ["c-1": "boom"], pending: 1)) == [
                .forget(pool: "c", worker: "c-1"), .countStartFailure(pool: "c"),
                .record(pool: "c", worker: "c-1", kind: .startFailed, detail: "boom"),
                .start(pool: "c", worker: "c-1"), .record(pool: "c", worker: "c-1", kind: .startRequested),
                .report(pool: "c", gauges: Gauges(starting: 1, queued: 1)),
            ])
        #expect(machine.failures["c"] == 1)
    }

    @Test("a started worker that attaches is connected: idle, or busy when it already builds")
    func connected() {
        var machine = claimed(pool())
        _ = machine.looked("c", Observation(pending: 2))
        let actions = machine.looked("c", Observation(attached: ["c-1", "c-2"], busy: ["c-2"], pending: 1))
        #expect(
            actions == [
                .record(pool: "c", worker: "c-1", kind: .connected),
                .record(pool: "c", worker: "c-2", kind: .connected),
                .report(pool: "c", gauges: Gauges(idle: 1, busy: 1, queued: 1)),
            ])
        #expect(states(machine) == ["c-1": .idle, "c-2": .busy])
    }

    // MARK: - Pruning

    @Test("a worker whose process ended is pruned and forgotten")
    func processExit() {
        var machine = running(pool(), connected: ["c-1"])
        #expect(
            machine.looked("c", Observation(exited: ["c-1"], attached: ["c-1"])) == [
                .forget(pool: "c", worker: "c-1"),
                .record(pool: "c", worker: "c-1", kind: .pruned, detail: "its process ended"),
                .report(pool: "c", gauges: Gauges()),
            ])
        #expect(machine.state == .running && machine.members(of: "c").isEmpty)
    }

    @Test("with exitOnWorker, a worker's death ends the look and the run; the other workers are stopped at its end")
    func exitOnWorker() {
        var machine = running(pool { $0.exitOnWorker = true }, connected: ["c-1", "c-2"])
        #expect(
            machine.looked("c", Observation(exited: ["c-1"], attached: ["c-1", "c-2"])) == [
                .forget(pool: "c", worker: "c-1"),
                .record(pool: "c", worker: "c-1", kind: .pruned, detail: "its process ended"),
                .exitOnWorker(pool: "c", worker: "c-1"),
            ])
        #expect(machine.state == .stopped)
        #expect(machine.looked("c", Observation(pending: 3)) == [] && machine.tick("c") == [])
        #expect(
            machine.runEnded() == [
                .shutDown(worker: "c-2", reason: "pool c: the master is stopping"), .stop(pool: "c", worker: "c-2"),
                .record(pool: "c", worker: "c-2", kind: .retired, detail: "the master is stopping"),
            ])
    }

    @Test("a connected worker that is no longer attached stopped answering: it is pruned and stopped")
    func lostConnection() {
        var machine = running(pool(), connected: ["c-1"])
        #expect(
            machine.looked("c", Observation()) == [
                .stop(pool: "c", worker: "c-1"),
                .record(pool: "c", worker: "c-1", kind: .pruned, detail: "it stopped answering"),
                .report(pool: "c", gauges: Gauges()),
            ])
        #expect(machine.stopping["c"] == ["c-1"])
    }

    @Test("a name still being stopped is not started again until it is gone")
    func stoppingNameNotReused() {
        var machine = claimed(
            pool {
                $0.maxWorkers = 1
                $0.startTimeout = .seconds(1)
            })
        #expect(startedWorkers(machine.looked("c", Observation(pending: 1))) == ["c-1"])
        let timedOut = tickAndLook(&machine, Observation(pending: 1))
        #expect(stoppedWorkers(timedOut) == ["c-1"] && startedWorkers(timedOut).isEmpty)
        #expect(startedWorkers(machine.looked("c", Observation(pending: 1))).isEmpty)
        #expect(machine.stopped("c", worker: "c-1") == [.look(pool: "c")])
        #expect(machine.stopping["c"] == nil)
        #expect(startedWorkers(machine.looked("c", Observation(pending: 1))) == ["c-1"])
    }

    // MARK: - Retiring

    @Test("idle workers beyond minIdle are retired after idleTimeout, highest names first; a busy one never")
    func retireIdle() {
        var machine = running(
            pool {
                $0.minIdle = 1
                $0.idleTimeout = .seconds(3)
            }, connected: ["c-1", "c-2", "c-3"])
        let all: Set<String> = ["c-1", "c-2", "c-3"]
        for _ in 1...2 {
            let ticked = tickAndLook(&machine, Observation(attached: all, busy: ["c-3"]))
            #expect(ticked == [.report(pool: "c", gauges: Gauges(idle: 2, busy: 1))])
        }
        let retired = tickAndLook(&machine, Observation(attached: all, busy: ["c-3"]))
        #expect(
            retired == [
                .shutDown(worker: "c-2", reason: "retired by pool c"), .stop(pool: "c", worker: "c-2"),
                .record(pool: "c", worker: "c-2", kind: .retired, detail: "idle for 3.0 seconds"),
                .report(pool: "c", gauges: Gauges(idle: 1, busy: 1)),
            ])
        #expect(states(machine) == ["c-1": .idle, "c-3": .busy])
    }

    @Test("after maxWorkers is lowered, the workers above it are retired once idle")
    func loweredMaxWorkers() {
        var machine = running(pool(), connected: ["c-1", "c-2", "c-3"])
        #expect(
            machine.configured([pool { $0.maxWorkers = 1 }], withPasswords: passwords) == [
                .record(pool: "c", worker: nil, kind: .configReloaded)
            ])
        #expect(
            machine.looked("c", Observation(attached: ["c-1", "c-2", "c-3"], busy: ["c-3"])) == [
                .shutDown(worker: "c-2", reason: "retired by pool c"), .stop(pool: "c", worker: "c-2"),
                .record(pool: "c", worker: "c-2", kind: .retired, detail: "above maxWorkers"),
                .report(pool: "c", gauges: Gauges(idle: 1, busy: 1)),
            ])
        #expect(
            machine.looked("c", Observation(attached: ["c-1", "c-3"])) == [
                .shutDown(worker: "c-3", reason: "retired by pool c"), .stop(pool: "c", worker: "c-3"),
                .record(pool: "c", worker: "c-3", kind: .retired, detail: "above maxWorkers"),
                .report(pool: "c", gauges: Gauges(idle: 1)),
            ])
    }

    // MARK: - Terminate and release

    @Test("terminate stops starting workers at once and makes connected ones graceful; the run's end stops the rest")
    func terminate() {
        var machine = claimed(pool())
        _ = machine.looked("c", Observation(pending: 3))
        _ = machine.looked("c", Observation(attached: ["c-1", "c-2"], busy: ["c-2"], pending: 1))
        #expect(states(machine) == ["c-1": .idle, "c-2": .busy, "c-3": .starting])

        #expect(
            machine.terminate(attached: ["c-1", "c-2"]) == [
                .makeGraceful(worker: "c-1"), .makeGraceful(worker: "c-2"), .stop(pool: "c", worker: "c-3"),
                .record(pool: "c", worker: "c-3", kind: .retired, detail: "the master is stopping"),
            ])
        #expect(machine.state == .draining)
        #expect(machine.terminate(attached: []) == [], "asked once")
        #expect(machine.looked("c", Observation(pending: 3)) == [], "nothing starts or is pruned while draining")
        #expect(machine.tick("c") == [] && machine.demand("c") == [])
        let building = machine.isDraining(busy: ["c-2"], waited: .zero)
        let graceOver = machine.isDraining(busy: ["c-2"], waited: .seconds(30))
        let idle = machine.isDraining(busy: [], waited: .zero)
        #expect(building)
        #expect(!graceOver, "terminateGrace is over")
        #expect(!idle, "nothing builds")
        #expect(machine.stopped("c", worker: "c-3") == [])

        #expect(
            machine.runEnded() == [
                .shutDown(worker: "c-1", reason: "pool c: the master is stopping"), .stop(pool: "c", worker: "c-1"),
                .record(pool: "c", worker: "c-1", kind: .retired, detail: "the master is stopping"),
                .shutDown(worker: "c-2", reason: "pool c: the master is stopping"), .stop(pool: "c", worker: "c-2"),
                .record(pool: "c", worker: "c-2", kind: .retired, detail: "the master is stopping"),
            ])
        #expect(machine.state == .stopped && machine.members(of: "c").isEmpty)
        #expect(
            machine.released("c") == [
                .record(pool: "c", worker: nil, kind: .released, detail: "the master is stopping")
            ], "after the run's end, the release stops nothing twice")
        #expect(machine.managed["c"] == nil)
        #expect(machine.claimed("c") == [.record(pool: "c", worker: nil, kind: .claimed)], "and nothing looks")
    }

    @Test("a lost claim stops the pool's workers here and records the release; the pool is no longer looked at")
    func releasedWhileRunning() {
        var machine = claimed(pool())
        _ = machine.looked("c", Observation(pending: 2))
        _ = machine.looked("c", Observation(attached: ["c-1"], pending: 2))
        let reason = "the pool's claim was lost"
        #expect(
            machine.released("c") == [
                .shutDown(worker: "c-1", reason: "pool c: \(reason)"), .stop(pool: "c", worker: "c-1"),
                .record(pool: "c", worker: "c-1", kind: .retired, detail: reason),
                .shutDown(worker: "c-2", reason: "pool c: \(reason)"), .stop(pool: "c", worker: "c-2"),
                .record(pool: "c", worker: "c-2", kind: .retired, detail: reason),
                .record(pool: "c", worker: nil, kind: .released, detail: reason),
            ])
        #expect(machine.managed["c"] == nil && machine.stopping["c"] == ["c-1", "c-2"])
        #expect(machine.looked("c", Observation(pending: 2)) == [] && machine.tick("c") == [])
        #expect(machine.released("c") == [], "released once")
        #expect(machine.stopped("c", worker: "c-1") == [], "no look for a pool not managed here")
    }

    @Test("a pool removed from the configuration is released as removed")
    func releasedRemoved() {
        var machine = claimed(pool())
        #expect(machine.configured([], withPasswords: []) == [])
        #expect(machine.lookable("c") == nil)
        #expect(
            machine.released("c") == [
                .record(pool: "c", worker: nil, kind: .released, detail: "the pool was removed")
            ])
    }

    @Test("the run's end while still running (cancellation) stops and retires every member; the pool stays, empty")
    func runEndedWhileRunning() {
        var machine = claimed(pool())
        _ = machine.looked("c", Observation(pending: 3))
        _ = machine.looked("c", Observation(attached: ["c-1", "c-2"], busy: ["c-2"], pending: 1))
        #expect(states(machine) == ["c-1": .idle, "c-2": .busy, "c-3": .starting])
        #expect(machine.state == .running)

        let reason = "the master is stopping"
        #expect(
            machine.runEnded() == [
                .shutDown(worker: "c-1", reason: "pool c: \(reason)"), .stop(pool: "c", worker: "c-1"),
                .record(pool: "c", worker: "c-1", kind: .retired, detail: reason),
                .shutDown(worker: "c-2", reason: "pool c: \(reason)"), .stop(pool: "c", worker: "c-2"),
                .record(pool: "c", worker: "c-2", kind: .retired, detail: reason),
                .shutDown(worker: "c-3", reason: "pool c: \(reason)"), .stop(pool: "c", worker: "c-3"),
                .record(pool: "c", worker: "c-3", kind: .retired, detail: reason),
            ])
        #expect(machine.state == .stopped)
        #expect(machine.members(of: "c").isEmpty && machine.memberNames.isEmpty)
        #expect(machine.managed["c"]?.members.isEmpty == true, "still managed until its claim is released")
        #expect(machine.stopping["c"] == ["c-1", "c-2", "c-3"])
        #expect(machine.lookable("c") == nil)
        #expect(machine.tick("c") == [] && machine.demand("c") == [])
        #expect(machine.looked("c", Observation(pending: 3)) == [], "nothing starts after the run's end")
        #expect(machine.terminate(attached: []) == [] && machine.state == .stopped, "terminate comes too late")
        #expect(machine.stopped("c", worker: "c-3") == [])
        #expect(machine.stopping["c"] == ["c-1", "c-2"])
        #expect(machine.released("c") == [.record(pool: "c", worker: nil, kind: .released, detail: reason)])
        #expect(machine.managed["c"] == nil)
    }

    @Test("a release while draining stops the pool's live members as the master stopping; no pool is left to wait for")
    func releasedWhileDraining() {
        var machine = claimed(pool())
        _ = machine.looked("c", Observation(pending: 3))
        _ = machine.looked("c", Observation(attached: ["c-1", "c-2"], busy: ["c-2"], pending: 1))
        _ = machine.terminate(attached: ["c-1", "c-2"])
        #expect(machine.state == .draining && machine.stopping["c"] == ["c-3"])
        #expect(states(machine) == ["c-1": .idle, "c-2": .busy])
        let waiting = machine.isDraining(busy: ["c-2"], waited: .zero)
        #expect(waiting)

        let reason = "the master is stopping"
        #expect(
            machine.released("c") == [
                .shutDown(worker: "c-1", reason: "pool c: \(reason)"), .stop(pool: "c", worker: "c-1"),
                .record(pool: "c", worker: "c-1", kind: .retired, detail: reason),
                .shutDown(worker: "c-2", reason: "pool c: \(reason)"), .stop(pool: "c", worker: "c-2"),
                .record(pool: "c", worker: "c-2", kind: .retired, detail: reason),
                .record(pool: "c", worker: nil, kind: .released, detail: reason),
            ])
        #expect(machine.state == .draining)
        #expect(machine.managed["c"] == nil && machine.memberNames.isEmpty)
        #expect(machine.stopping["c"] == ["c-1", "c-2", "c-3"])
        let waitingAfter = machine.isDraining(busy: ["c-2"], waited: .zero)
        #expect(!waitingAfter, "the pool is no longer managed here")
        #expect(machine.released("c") == [], "released once")
        #expect(machine.runEnded() == [] && machine.state == .stopped, "nothing left to stop")
    }

    @Test("while draining, a claim records itself without a look, a reload records for each pool, demand looks at none")
    func eventsWhileDraining() {
        var machine = running(pool(), connected: ["c-1"])
        #expect(machine.terminate(attached: ["c-1"]) == [.makeGraceful(worker: "c-1")])
        #expect(machine.state == .draining)

        let other = PoolSettings(name: "d", builders: ["b2"], maxWorkers: 1)
        #expect(
            machine.configured([pool { $0.maxWorkers = 2 }, other], withPasswords: passwords) == [
                .record(pool: "c", worker: nil, kind: .configReloaded)
            ], "d is not managed here yet")
        #expect(machine.settings["c"]?.maxWorkers == 2 && machine.settings["d"] == other)
        #expect(machine.lookable("c") == nil, "configured and managed, but draining")

        #expect(machine.claimed("d") == [.record(pool: "d", worker: nil, kind: .claimed)], "and no look")
        #expect(machine.managed["d"]?.members.isEmpty == true)
        #expect(machine.lookable("d") == nil)

        #expect(machine.demand("c") == [] && machine.demand("d") == [])
        #expect(machine.demand("e") == [], "not managed here")
        #expect(machine.looked("d", Observation(pending: 1)) == [], "nothing starts")
        #expect(machine.members(of: "d").isEmpty)

        #expect(
            machine.configured([pool(), other], withPasswords: passwords) == [
                .record(pool: "c", worker: nil, kind: .configReloaded),
                .record(pool: "d", worker: nil, kind: .configReloaded),
            ])
        #expect(machine.state == .draining)
        #expect(states(machine) == ["c-1": .idle], "its members are left as they were")
    }

    @Test("terminate after an exitOnWorker death does nothing: the manager is already stopped")
    func terminateAfterExitOnWorker() {
        var machine = running(pool { $0.exitOnWorker = true }, connected: ["c-1", "c-2"])
        let died = machine.looked("c", Observation(exited: ["c-1"], attached: ["c-1", "c-2"]))
        #expect(died.last == .exitOnWorker(pool: "c", worker: "c-1"))
        #expect(machine.state == .stopped)

        #expect(machine.terminate(attached: ["c-2"]) == [], "no worker made graceful, none stopped")
        #expect(machine.state == .stopped, "not draining")
        #expect(machine.members(of: "c") == [Member(name: "c-2", state: .idle)])
        #expect(machine.stopping["c"] == nil)
        #expect(
            machine.runEnded() == [
                .shutDown(worker: "c-2", reason: "pool c: the master is stopping"), .stop(pool: "c", worker: "c-2"),
                .record(pool: "c", worker: "c-2", kind: .retired, detail: "the master is stopping"),
            ])
    }

    @Test("two pools managed at once: a look or release of one leaves the other's members, cooldown and failures")
    func twoPools() {
        var machine = PoolStateMachine(tick: .seconds(1))
        let other = PoolSettings(name: "d", builders: ["b2"], maxWorkers: 2, minStartInterval: .seconds(5))
        #expect(machine.configured([pool(), other], withPasswords: passwords.union(["d-1", "d-2"])) == [])
        #expect(machine.claimed("c") == [.record(pool: "c", worker: nil, kind: .claimed), .look(pool: "c")])
        #expect(machine.claimed("d") == [.record(pool: "d", worker: nil, kind: .claimed), .look(pool: "d")])

        #expect(
            machine.looked("d", Observation(pending: 2)) == [
                .start(pool: "d", worker: "d-1"), .record(pool: "d", worker: "d-1", kind: .startRequested),
                .report(pool: "d", gauges: Gauges(starting: 1, queued: 2)),
            ])
        #expect(machine.managed["d"]?.cooldown == 5)
        #expect(
            machine.looked("c", Observation(pending: 2)) == [
                .start(pool: "c", worker: "c-1"), .record(pool: "c", worker: "c-1", kind: .startRequested),
                .start(pool: "c", worker: "c-2"), .record(pool: "c", worker: "c-2", kind: .startRequested),
                .report(pool: "c", gauges: Gauges(starting: 2, queued: 2)),
            ], "d's cooldown does not space c's starts")

        let ticked = tickAndLook(&machine, Observation(failedStarts: ["c-2": "boom"], attached: ["c-1"], pending: 1))
        #expect(
            ticked == [
                .record(pool: "c", worker: "c-1", kind: .connected), .forget(pool: "c", worker: "c-2"),
                .countStartFailure(pool: "c"), .record(pool: "c", worker: "c-2", kind: .startFailed, detail: "boom"),
                .report(pool: "c", gauges: Gauges(idle: 1, queued: 1)),
            ])
        #expect(machine.failures["c"] == 1 && machine.handledTicks["c"] == 1)
        #expect(machine.members(of: "d") == [Member(name: "d-1", state: .starting)], "c's tick counts nothing for d")
        #expect(machine.managed["d"]?.cooldown == 5 && machine.managed["d"]?.tickPending == false)
        #expect(machine.failures["d"] == nil && machine.handledTicks["d"] == nil)

        #expect(machine.tick("d") == [.look(pool: "d")])
        #expect(
            machine.looked("d", Observation(pending: 2))
                == [.report(pool: "d", gauges: Gauges(starting: 1, queued: 2))],
            "d's cooldown still runs")
        #expect(machine.members(of: "d") == [Member(name: "d-1", state: .starting, startedTicks: 1)])
        #expect(machine.managed["d"]?.cooldown == 4 && machine.handledTicks["d"] == 1)
        #expect(machine.members(of: "c") == [Member(name: "c-1", state: .idle)], "d's tick counts nothing for c")
        #expect(machine.managed["c"]?.cooldown == 0 && machine.managed["c"]?.tickPending == false)
        #expect(machine.failures["c"] == 1 && machine.handledTicks["c"] == 1)

        let reason = "the pool's claim was lost"
        #expect(
            machine.released("d") == [
                .shutDown(worker: "d-1", reason: "pool d: \(reason)"), .stop(pool: "d", worker: "d-1"),
                .record(pool: "d", worker: "d-1", kind: .retired, detail: reason),
                .record(pool: "d", worker: nil, kind: .released, detail: reason),
            ])
        #expect(machine.stopping["d"] == ["d-1"] && machine.stopping["c"] == nil)
        #expect(machine.members(of: "c") == [Member(name: "c-1", state: .idle)] && machine.lookable("c") == pool())
        #expect(
            machine.runEnded() == [
                .shutDown(worker: "c-1", reason: "pool c: the master is stopping"), .stop(pool: "c", worker: "c-1"),
                .record(pool: "c", worker: "c-1", kind: .retired, detail: "the master is stopping"),
            ], "only c is left to stop")
    }
}
