package import GantryModel

extension DistributorStateMachine {
    /// The requests waiting for a worker were read, in the order they are served. The first one some eligible
    /// worker of its builder can run is claimed for the first such worker in the builder's order; each claim's
    /// outcome (``claimed(_:by:building:merged:)``, ``claimLost(_:)``) leads to the next, so every choice sees the builds
    /// claimed before it.
    package mutating func pendingRead(_ requests: [BuildRequest]) -> [Action] {
        nextClaim(from: requests[...])
    }

    /// `request` was claimed for `worker`, whose build starts: it counts against the worker's `maxBuilds` until
    /// ``buildFinished(_:results:)``. When the claim collapsed requests, the build runs `built` and `merged` were
    /// claimed with it. The round goes on with the next request not claimed.
    package mutating func claimed(
        _ request: Int, by worker: String, building built: Int? = nil, merged: Set<Int> = []
    ) -> [Action] {
        var record = workers[worker] ?? Worker()
        record.busy.insert(built ?? request)
        if maxUses[worker] != nil { record.uses += 1 }
        runningOn[built ?? request] = worker
        store(record, as: worker)
        return claimSettled(request, skipping: merged.union([built ?? request]).subtracting([request]))
    }

    /// `request` was not claimed (another master took it): it is skipped, and the round goes on with the next
    /// request.
    package mutating func claimLost(_ request: Int) -> [Action] {
        claimSettled(request, skipping: [])
    }

    /// The round goes on after `request`, if it is the one in flight, without the requests `skipping`.
    private mutating func claimSettled(_ request: Int, skipping: Set<Int>) -> [Action] {
        switch state {
        case .waiting:
            return []
        case .claiming(let current, let rest):
            guard current == request else { return [] }
            return nextClaim(from: skipping.isEmpty ? rest : ArraySlice(rest.filter { !skipping.contains($0.id) }))
        }
    }

    private mutating func nextClaim(from requests: ArraySlice<BuildRequest>) -> [Action] {
        var rest = requests
        while let request = rest.popFirst() {
            guard let worker = firstEligible(among: builders[request.builderID] ?? []) else { continue }
            state = .claiming(request: request.id, rest: rest)
            return [.claim(request, on: worker)]
        }
        state = .waiting
        return []
    }

    /// How many builds each builder could start now, by builder id: the free slots of its eligible workers (a
    /// worker serving several builders counts for each), at most ``roundLimit``. Builders that can start none are
    /// left out, so the distributor reads the queues of these builders only, and no deeper than this.
    package var openings: [Int: Int] {
        var openings: [Int: Int] = [:]
        for (builder, names) in distinctWorkers {
            var free = 0
            for name in names {
                guard free < Self.roundLimit else { break }
                guard eligible(name) != nil, let worker = workers[name] else { continue }
                free += max(0, maxBuilds[name, default: 1] - worker.busy.count)
            }
            if free > 0 { openings[builder] = min(free, Self.roundLimit) }
        }
        return openings
    }

    private func firstEligible(among names: [String]) -> Attached? {
        for name in names {
            if let worker = eligible(name) { return worker }
        }
        return nil
    }

    /// Worker `name`'s connection, when the worker may start a build now.
    private func eligible(_ name: String) -> Attached? {
        guard let worker = workers[name], case .attached(let attached) = worker.connection,
            worker.shutDownOn !== attached.link, worker.control?.acceptsBuilds == true, !worker.quarantined,
            worker.busy.count < maxBuilds[name, default: 1], !isUsedUp(name, worker)
        else { return nil }
        return attached
    }

    /// Whether the worker's current instance ran its `maxUses` builds.
    func isUsedUp(_ name: String, _ worker: Worker) -> Bool {
        worker.uses >= maxUses[name, default: .max]
    }
}
