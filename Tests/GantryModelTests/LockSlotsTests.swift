import GantryModel
import Testing

@Suite("LockSlots")
struct LockSlotsTests {
    private let db = LockConfig(name: "db", maxCount: 2)
    private let cpu = LockConfig(name: "cpu", kind: .worker, maxCount: 1, maxCountForWorker: ["big": 4])

    private func request(_ lock: LockConfig, _ mode: LockAccess.Mode = .counting, on worker: String = "wk1")
        -> LockRequest
    {
        LockAccess(lock, mode: mode).request(onWorker: worker)
    }

    private func taken(_ slots: Set<Int>, exclusive: Bool = false) -> LockSlots.Taken {
        LockSlots.Taken(slots: slots, exclusive: exclusive)
    }

    @Test("a master lock is one instance; a worker lock has a copy per worker with its own count")
    func instances() {
        #expect(request(db, on: "wk1").instance == LockInstance(name: "db", scope: ""))
        #expect(request(db, on: "big") == request(db, on: "wk1"))
        #expect(
            request(cpu, on: "wk1")
                == LockRequest(instance: .init(name: "cpu", scope: "wk1"), maxCount: 1, mode: .counting))
        #expect(request(cpu, on: "big").maxCount == 4)
    }

    @Test("counting takes the lowest free slot, up to maxCount holders")
    func counting() {
        let instance = LockInstance(name: "db", scope: "")
        #expect(LockSlots.decide([request(db)], taken: [:]) == .take([.init(request: request(db), slots: [0])]))
        #expect(
            LockSlots.decide([request(db)], taken: [instance: taken([0])])
                == .take([.init(request: request(db), slots: [1])]))
        #expect(LockSlots.decide([request(db)], taken: [instance: taken([0, 1])]) == .wait(busy: [request(db)]))
        // A maxCount lowered to 2 while three held it: nobody more until fewer than two hold it.
        #expect(LockSlots.decide([request(db)], taken: [instance: taken([0, 3])]) == .wait(busy: [request(db)]))
        #expect(
            LockSlots.decide([request(db)], taken: [instance: taken([3])])
                == .take([.init(request: request(db), slots: [0])]))
    }

    @Test("exclusive takes every slot, and only of a lock nobody holds")
    func exclusive() {
        let instance = LockInstance(name: "db", scope: "")
        let alone = request(db, .exclusive)
        #expect(LockSlots.decide([alone], taken: [:]) == .take([.init(request: alone, slots: [0, 1])]))
        #expect(LockSlots.decide([alone], taken: [instance: taken([1])]) == .wait(busy: [alone]))
        // A maxCount raised while an exclusive holder has it does not let a counting access in beside it.
        let raised = LockAccess(LockConfig(name: "db", maxCount: 5)).request(onWorker: "wk1")
        #expect(LockSlots.decide([raised], taken: [instance: taken([0, 1], exclusive: true)]) == .wait(busy: [raised]))
    }

    @Test("several locks: all or nothing, in name order, naming every busy one")
    func allOrNothing() {
        let requests = [request(db), request(cpu)]
        let busyCPU: [LockInstance: LockSlots.Taken] = [LockInstance(name: "cpu", scope: "wk1"): taken([0])]
        #expect(LockSlots.decide(requests, taken: busyCPU) == .wait(busy: [request(cpu)]))
        #expect(
            LockSlots.decide(requests, taken: [LockInstance(name: "cpu", scope: "big"): taken([0])])
                == .take([.init(request: request(cpu), slots: [0]), .init(request: request(db), slots: [0])]))
        var both = busyCPU
        both[LockInstance(name: "db", scope: "")] = taken([0, 1])
        guard case .wait(let busy) = LockSlots.decide(requests, taken: both) else {
            Issue.record("both locks are held")
            return
        }
        #expect(LockSlots.names(busy) == ["cpu", "db"])
    }

    @Test("a later waiter does not pass earlier ones: counting behind exclusive waits, exclusive behind counting too")
    func arrivalOrder() {
        let instance = LockInstance(name: "db", scope: "")
        var reserved: [LockInstance: LockSlots.Reservation] = [:]
        LockSlots.reserve([request(db)], in: &reserved)
        #expect(reserved[instance] == LockSlots.Reservation(counting: 1))
        // One slot held, one waiter ahead: a second counting access must wait behind it.
        #expect(
            LockSlots.decide([request(db)], taken: [instance: taken([0])], reserved: reserved)
                == .wait(busy: [request(db)]))
        #expect(
            LockSlots.decide([request(db)], taken: [:], reserved: reserved)
                == .take([.init(request: request(db), slots: [0])]))
        #expect(
            LockSlots.decide([request(db, .exclusive)], taken: [:], reserved: reserved)
                == .wait(busy: [request(db, .exclusive)]))
        LockSlots.reserve([request(db, .exclusive)], in: &reserved)
        #expect(LockSlots.decide([request(db)], taken: [:], reserved: reserved) == .wait(busy: [request(db)]))
        // Reservations are per instance: another worker's copy is free.
        var onOther: [LockInstance: LockSlots.Reservation] = [:]
        LockSlots.reserve([request(cpu, .exclusive, on: "wk2")], in: &onOther)
        #expect(
            LockSlots.decide([request(cpu)], taken: [:], reserved: onOther)
                == .take([.init(request: request(cpu), slots: [0])]))
    }
}
