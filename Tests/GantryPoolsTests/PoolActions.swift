import GantryPools

/// The workers `actions` start.
func startedWorkers(_ actions: [PoolStateMachine.Action]) -> [String] {
    actions.compactMap { action -> String? in
        guard case .start(_, let worker) = action else { return nil }
        return worker
    }
}

/// The workers `actions` stop.
func stoppedWorkers(_ actions: [PoolStateMachine.Action]) -> [String] {
    actions.compactMap { action -> String? in
        guard case .stop(_, let worker) = action else { return nil }
        return worker
    }
}
