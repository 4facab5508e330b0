import GantryCluster
import GantryModel
import Synchronization

/// A behavior that records every hook call in order, and can be told to fail or to hold a hook until released.
final class RecordingBehavior: ClusteredServiceBehavior {
    let kind = ServiceKind.scheduler
    let name: String
    private let log = Mutex<[String]>([])
    private let failures: Set<String>
    private let gate: Gate?

    init(name: String = "sched", failing failures: Set<String> = [], holding gate: Gate? = nil) {
        self.name = name
        self.failures = failures
        self.gate = gate
    }

    var calls: [String] { log.withLock { $0 } }

    private func record(_ call: String) async throws {
        log.withLock { $0.append(call) }
        if let gate, gate.step == call { await gate.wait() }
        if failures.contains(call) { throw HookFailure(call: call) }
    }

    func activate(fence: ClaimFence) async throws { try await record("activate") }
    func deactivate() async throws { try await record("deactivate") }
    func runWhileActive(fence: ClaimFence) async {
        log.withLock { $0.append("work") }
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
        log.withLock { $0.append("work cancelled") }
    }
}

struct HookFailure: Error {
    let call: String
}

/// Holds one named step until released.
final class Gate: Sendable {
    let step: String
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>], arrived: Bool)>(
        (false, [], false)
    )

    init(_ step: String) { self.step = step }

    var arrived: Bool { state.withLock { $0.arrived } }

    func wait() async {
        await withCheckedContinuation { continuation in
            let open = state.withLock { state -> Bool in
                state.arrived = true
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if open { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// A claimer over the real database that counts calls and can be made to fail or to hold a step.
final class CountingClaimer: ServiceClaimer {
    private let inner: any ServiceClaimer
    private let counts = Mutex<[String: Int]>([:])
    private let failClaims: Bool
    let gate: Gate?

    init(_ inner: any ServiceClaimer, failClaims: Bool = false, holding gate: Gate? = nil) {
        self.inner = inner
        self.failClaims = failClaims
        self.gate = gate
    }

    func count(_ call: String) -> Int { counts.withLock { $0[call, default: 0] } }

    private func note(_ call: String) async {
        counts.withLock { $0[call, default: 0] += 1 }
        if let gate, gate.step == call { await gate.wait() }
    }

    func serviceID(named name: String) async throws -> Int {
        await note("serviceID")
        return try await inner.serviceID(named: name)
    }

    func claim(_ serviceid: Int, masterid: Int) async throws -> ClaimFence? {
        await note("claim")
        if failClaims { throw HookFailure(call: "claim") }
        return try await inner.claim(serviceid, masterid: masterid)
    }

    func isCurrent(_ fence: ClaimFence) async throws -> Bool {
        await note("isCurrent")
        return try await inner.isCurrent(fence)
    }

    func unclaim(_ fence: ClaimFence) async throws {
        await note("unclaim")
        try await inner.unclaim(fence)
    }
}
