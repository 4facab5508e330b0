import GantryModel
import Yams

/// Reads the top-level `locks` (Buildbot's `MasterLock` and `WorkerLock`) and the `locks` builders and steps
/// take.
extension ConfigReader {
    /// `- {name, type: master|worker, maxCount, maxCountForWorker: {WORKER: N}}`; names unique identifiers,
    /// counts from 1 to `LockConfig.maxCountLimit`.
    mutating func locks(_ node: Node?) -> [LockConfig] {
        var locks: [LockConfig] = []
        var seen: Set<String> = []
        for (path, item) in listItems(node, key: "locks") {
            let allowed: Set = ["name", "type", "maxCount", "maxCountForWorker"]
            guard let entry = namedEntry(item, at: path, allowed: allowed, identifier: "lock", seen: &seen),
                let name = entry.name
            else { continue }
            let mapping = entry.mapping
            var lock = LockConfig(name: name)
            if mapping["type"] == nil { problem(join(path, "type"), "is required: master or worker") }
            if let type = string(mapping, "type", at: path) {
                if let kind = LockConfig.Kind(rawValue: type) {
                    lock.kind = kind
                } else {
                    problem(join(path, "type"), "must be master or worker")
                }
            }
            lock.maxCount = lockCount(mapping["maxCount"], at: join(path, "maxCount")) ?? lock.maxCount
            if let counts = mapping["maxCountForWorker"] {
                lock.maxCountForWorker = workerCounts(counts, of: lock, at: join(path, "maxCountForWorker"))
            }
            // A lock with a mistake is still known by name, so the builders taking it report nothing more.
            locks.append(lock)
        }
        return locks
    }

    /// A builder's or a step's `locks`: `- {name: LOCK, mode: counting|exclusive}` (counting unless said), each
    /// naming a lock of the configuration once.
    mutating func lockAccesses(_ node: Node?, at path: String) -> [LockAccess] {
        var accesses: [LockAccess] = []
        var seen: Set<String> = []
        for (at, item) in listItems(node, key: path) {
            // A name taken twice is reported by `namedEntry`; the first access stands.
            guard let entry = namedEntry(item, at: at, allowed: ["name", "mode"], seen: &seen), let name = entry.name,
                !accesses.contains(where: { $0.lock.name == name })
            else { continue }
            guard let lock = declaredLocks[name] else {
                problem(join(at, "name"), "'\(name)' is not a lock of this configuration")
                continue
            }
            var access = LockAccess(lock)
            if let text = string(entry.mapping, "mode", at: at) {
                guard let mode = LockAccess.Mode(rawValue: text) else {
                    problem(join(at, "mode"), "must be counting or exclusive")
                    continue
                }
                access.mode = mode
            }
            accesses.append(access)
        }
        return accesses
    }

    /// Refuses a lock that `builder` takes and one of its steps takes too: the step would wait for its own build
    /// (Buildbot refuses it when the build runs).
    mutating func checkLocks(of builder: BuilderConfig, at path: String) {
        let held = Set(builder.locks.map(\.lock.name))
        for step in builder.steps {
            for access in step.locks where held.contains(access.lock.name) {
                problem(
                    join(path, "locks"),
                    "'\(access.lock.name)' is taken by the builder and by its step '\(step.name)'; "
                        + "take it in one place")
            }
        }
    }

    /// A worker lock's counts on particular workers.
    private mutating func workerCounts(_ node: Node, of lock: LockConfig, at path: String) -> [String: Int] {
        guard lock.kind == .worker else {
            problem(path, "only a worker lock has counts per worker")
            return [:]
        }
        guard let entries = node.mapping else {
            problem(path, "must map worker names to counts")
            return [:]
        }
        var counts: [String: Int] = [:]
        for (key, value) in entries {
            guard let worker = key.string, Identifier.isValid(worker) else {
                problem(path, "'\(key.string ?? "")' is not a valid worker name (\(Identifier.rule))")
                continue
            }
            counts[worker] = lockCount(value, at: join(path, worker))
        }
        return counts
    }

    /// How many may hold a lock: a whole number from 1 to `LockConfig.maxCountLimit`.
    private mutating func lockCount(_ node: Node?, at path: String) -> Int? {
        guard let node else { return nil }
        guard let count = node.int, (1...LockConfig.maxCountLimit).contains(count) else {
            problem(path, "must be a whole number from 1 to \(LockConfig.maxCountLimit)")
            return nil
        }
        return count
    }
}
