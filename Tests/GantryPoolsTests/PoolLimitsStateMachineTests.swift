import GantryModel
import GantryPools
import GantryTesting
import Testing

/// The pool machine's limits and provider failures, driven directly on 1 s ticks: `maxStarting`, `maxUses`,
/// `maxAge`, `maxBuilds`, a quota refusal and a failure that blocks the pool.
@Suite("Pool limits and provider failures", .paced)
struct PoolLimitsStateMachineTests {
    typealias Action = PoolStateMachine.Action
    typealias Observation = PoolStateMachine.Observation
    typealias Gauges = PoolStateMachine.Gauges

    private let passwords: Set<String> = ["c-1", "c-2", "c-3", "c-4"]

    /// Pool `c` for builder `b1`, up to 4 workers, then `change`d, configured and claimed.
    private func claimed(_ change: (inout PoolSettings) -> Void = { _ in }) -> PoolStateMachine {
        var settings = PoolSettings(name: "c", builders: ["b1"], maxWorkers: 4, startTimeout: .seconds(10))
        change(&settings)
        var machine = PoolStateMachine(tick: .seconds(1))
        _ = machine.configured([settings], withPasswords: passwords)
        _ = machine.claimed("c")
        return machine
    }

    private func tickAndLook(_ machine: inout PoolStateMachine, _ observation: Observation) -> [Action] {
        #expect(machine.tick("c") == [.look(pool: "c")])
        return machine.looked("c", observation)
    }

    @Test("maxStarting: no more workers start at once than it allows; one connecting makes room for the next")
    func maxStarting() {
        var machine = claimed { $0.maxStarting = 2 }
        #expect(startedWorkers(machine.looked("c", Observation(pending: 4))) == ["c-1", "c-2"])
        #expect(startedWorkers(tickAndLook(&machine, Observation(pending: 4))).isEmpty, "two are still starting")
        #expect(startedWorkers(tickAndLook(&machine, Observation(attached: ["c-1"], pending: 3))) == ["c-3"])
    }

    @Test("maxBuilds: each idle or starting worker counts for that many waiting requests")
    func maxBuilds() {
        var machine = claimed { $0.maxBuilds = 3 }
        #expect(
            startedWorkers(machine.looked("c", Observation(pending: 4))) == ["c-1", "c-2"], "4 requests need 2 workers")
        #expect(startedWorkers(tickAndLook(&machine, Observation(pending: 6))).isEmpty, "two starting cover 6")
        #expect(startedWorkers(tickAndLook(&machine, Observation(pending: 7))) == ["c-3"])
    }

    @Test("maxBuilds counts no more requests per worker than its maxUses")
    func maxBuildsWithMaxUses() {
        var machine = claimed {
            $0.maxBuilds = 3
            $0.maxUses = 1
        }
        #expect(startedWorkers(machine.looked("c", Observation(pending: 3))) == ["c-1", "c-2", "c-3"])
    }

    @Test("maxUses: a worker that ran its builds is retired once idle, and its name starts again for new demand")
    func maxUses() {
        var machine = claimed { $0.maxUses = 1 }
        _ = machine.looked("c", Observation(pending: 1))
        _ = tickAndLook(&machine, Observation(attached: ["c-1"], busy: ["c-1"], usedUp: ["c-1"]))
        #expect(
            stoppedWorkers(tickAndLook(&machine, Observation(attached: ["c-1"], busy: ["c-1"], usedUp: ["c-1"])))
                .isEmpty,
            "not while it builds")
        let retired = tickAndLook(&machine, Observation(attached: ["c-1"], usedUp: ["c-1"], pending: 1))
        #expect(stoppedWorkers(retired) == ["c-1"])
        #expect(
            retired.contains(.record(pool: "c", worker: "c-1", kind: .retired, detail: "ran its maxUses of 1 build")))
        #expect(startedWorkers(retired) == ["c-2"], "the waiting request gets a fresh worker")
        #expect(startedWorkers(machine.stopped("c", worker: "c-1")).isEmpty && machine.stopping["c"] == nil)
    }

    @Test("maxAge: a worker connected longer is retired once idle, never mid-build, and replaced for the demand")
    func maxAge() {
        var machine = claimed { $0.maxAge = .seconds(3) }
        _ = machine.looked("c", Observation(pending: 1))
        _ = tickAndLook(&machine, Observation(attached: ["c-1"], busy: ["c-1"]))
        for tick in 2...4 {
            let busy = tickAndLook(&machine, Observation(attached: ["c-1"], busy: ["c-1"]))
            #expect(stoppedWorkers(busy).isEmpty, "never mid-build")
            #expect(busy.contains(.makeGraceful(worker: "c-1")) == (tick == 4), "no new build once too old: \(tick)")
        }
        let retired = tickAndLook(&machine, Observation(attached: ["c-1"], pending: 1))
        #expect(stoppedWorkers(retired) == ["c-1"])
        #expect(
            retired.contains(.record(pool: "c", worker: "c-1", kind: .retired, detail: "older than maxAge 3.0 seconds"))
        )
        #expect(startedWorkers(retired) == ["c-2"], "a fresh worker for the waiting request")
    }

    @Test("a quota refusal is no failed start: the pool waits, then starts again")
    func quota() {
        var machine = claimed()
        _ = machine.looked("c", Observation(pending: 1))
        let refused = tickAndLook(&machine, Observation(deferredStarts: ["c-1": "over quota"], pending: 1))
        #expect(
            refused.prefix(2) == [
                .forget(pool: "c", worker: "c-1"),
                .record(pool: "c", worker: "c-1", kind: .startDeferred, detail: "over quota"),
            ])
        #expect(startedWorkers(refused).isEmpty && machine.failures["c"] == nil)
        var ticks = 0
        while ticks < 20, startedWorkers(tickAndLook(&machine, Observation(pending: 1))).isEmpty { ticks += 1 }
        #expect(ticks == 9, "started again 10 s after the refusal, on the tenth tick")
    }

    @Test("a permanent failure blocks the pool, shown in its gauges, until the configuration is reloaded")
    func blocked() {
        var machine = claimed()
        _ = machine.looked("c", Observation(pending: 2))
        let failed = tickAndLook(&machine, Observation(impossibleStarts: ["c-1": "no image"], pending: 2))
        #expect(failed.contains(.record(pool: "c", worker: "c-1", kind: .blocked, detail: "no image")))
        #expect(failed.contains(.countStartFailure(pool: "c")) && machine.blocked("c") == "no image")
        #expect(failed.last == .report(pool: "c", gauges: Gauges(starting: 1, queued: 2, blocked: true)))
        #expect(startedWorkers(tickAndLook(&machine, Observation(pending: 2))).isEmpty, "nothing starts while blocked")

        let settings = machine.settings["c"].map { [$0] } ?? []
        _ = machine.configured(settings, withPasswords: passwords)
        #expect(machine.blocked("c") == nil)
        #expect(startedWorkers(tickAndLook(&machine, Observation(pending: 2))) == ["c-1"])
    }
}
