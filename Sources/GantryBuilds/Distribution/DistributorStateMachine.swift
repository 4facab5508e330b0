package import GantryModel
package import GantryStorage
package import GantryWorkers

/// The distributor's decisions without its I/O: this master's registry of workers (connection, control flags,
/// quarantine, builds) and which pending request goes to which worker.
///
/// Each input is something that happened and returns what the distributor must do. Connections are only
/// identities here (`Link`), so the machine is tested without a socket, a database or a clock.
///
/// A worker is eligible when it is attached here on a connection not being shut down, the last read of the
/// database shows it connected here and neither paused, graceful nor killed, it is not in quarantine and it runs
/// fewer builds than its `maxBuilds`. A build ending EXCEPTION puts its worker in quarantine for 10 s, doubling
/// with each further one up to an hour (Buildbot's numbers); any other finished build but RETRY, or unpausing,
/// resets the length, and unpausing ends the quarantine.
package struct DistributorStateMachine<Link: AnyObject & Sendable>: Sendable {
    /// Quarantine's first length.
    package static var quarantineStart: Duration { .seconds(10) }
    /// The longest quarantine.
    package static var quarantineCap: Duration { .seconds(3600) }

    /// A worker attached here: what a build on it needs.
    package struct Attached: Sendable, Equatable {
        package var name: String
        package var id: Int
        package var link: Link
        package var info: WorkerInfo

        package init(name: String, id: Int, link: Link, info: WorkerInfo) {
            self.name = name
            self.id = id
            self.link = link
            self.info = info
        }

        /// The same connection: connections are compared by identity.
        package static func == (lhs: Self, rhs: Self) -> Bool {
            lhs.name == rhs.name && lhs.id == rhs.id && lhs.link === rhs.link && lhs.info == rhs.info
        }
    }

    /// Whether a worker is connected here.
    package enum Connection: Sendable {
        case notConnected
        case attached(Attached)
    }

    /// What the distributor must do, in the order given.
    package enum Action: Sendable, Equatable {
        /// Shut the worker down (its process exits) and close its connection.
        case shutDown(worker: String, reason: String)
        /// Clear the worker's kill request in the database: it was obeyed.
        case clearKillRequest(workerID: Int)
        /// Claim the request in the database for the worker (collapsing others into its build as its builder
        /// says), then report ``claimed(_:by:building:merged:)`` or ``claimLost(_:)``.
        case claim(BuildRequest, on: Attached)
        /// Report ``quarantineEnded(_:)`` for the worker after `length`.
        case startQuarantineTimer(worker: String, length: Duration)
        /// Drop the worker's quarantine timer: its quarantine ended or was replaced.
        case cancelQuarantineTimer(worker: String)
        /// Look for requests to start: something that kept one waiting changed.
        case wakeUp
    }

    /// One worker as this master knows it.
    struct Worker: Sendable {
        var connection = Connection.notConnected
        /// Its id, once it attached here.
        var id: Int?
        /// Its flags in the last read of the database; nil while that read did not show it connected here.
        var control: WorkerControl?
        var quarantined = false
        /// The length of its next quarantine, once it had one; nil starts at ``quarantineStart``.
        var nextQuarantine: Duration?
        /// The requests whose builds run on it.
        var busy: Set<Int> = []
        /// Builds its current instance started, counted against its `maxUses`: a reconnect does not reset
        /// them, only a new instance does (``instanceStarting(_:)``).
        var uses = 0
        /// The connection it was shut down on, left to end; a later connection (the worker reconnected) obeys a
        /// kill or graceful shutdown again.
        var shutDownOn: Link?

        /// Nothing about it is worth keeping.
        var isForgettable: Bool {
            guard case .notConnected = connection else { return false }
            return control == nil && !quarantined && nextQuarantine == nil && busy.isEmpty && shutDownOn == nil
                && uses == 0
        }
    }

    /// Where the round of claims stands.
    enum State: Sendable {
        /// No claim in flight.
        case waiting
        /// `request` is being claimed; `rest` is served after it.
        case claiming(request: Int, rest: ArraySlice<BuildRequest>)
    }

    var state = State.waiting
    var workers: [String: Worker] = [:]
    /// The worker each build runs on, by the request it builds: a build's end finds its worker without going
    /// through every worker.
    var runningOn: [Int: String] = [:]
    /// Each builder's workers, in the order they are tried.
    var builders: [Int: [String]] = [:]
    /// Each builder's workers, each once: what its openings are counted over.
    var distinctWorkers: [Int: [String]] = [:]
    /// The most builds one round looks for per builder: with thousands of free workers, a round reads the queue no
    /// deeper than this, and the distributor runs another round while one comes back full.
    package static var roundLimit: Int { 100 }
    /// Builds at once per worker; 1 for a worker not listed.
    var maxBuilds: [String: Int] = [:]
    /// Builds per instance of the workers listed (a pool's `maxUses`): one that ran as many takes no more.
    var maxUses: [String: Int] = [:]

    package init() {}

    /// The configuration was loaded (at start and on each reload): each builder's workers in the order they are
    /// tried, the workers' `maxBuilds`, and the `maxUses` of those that have one.
    package mutating func configured(
        builders: [Int: [String]], maxBuilds: [String: Int], maxUses: [String: Int] = [:]
    ) -> [Action] {
        self.builders = builders
        distinctWorkers = builders.mapValues { names in
            var seen: Set<String> = []
            return names.filter { seen.insert($0).inserted }
        }
        self.maxBuilds = maxBuilds
        self.maxUses = maxUses
        return [.wakeUp]
    }

    /// Worker `name` attached here on `link`, taking the place of any earlier connection of the name; it was
    /// recorded connected, which ends a graceful shutdown or kill asked of it before.
    package mutating func workerAttached(_ name: String, id: Int, link: Link, info: WorkerInfo) -> [Action] {
        var worker = workers[name] ?? Worker()
        worker.connection = .attached(Attached(name: name, id: id, link: link, info: info))
        worker.id = id
        worker.control?.graceful = false
        worker.control?.killRequested = false
        store(worker, as: name)
        return [.wakeUp]
    }

    /// A new instance of worker `name` is starting (its pool started one): its builds count against its
    /// `maxUses` afresh. The instance before it is gone, so none of its builds can still start.
    package mutating func instanceStarting(_ name: String) {
        guard var worker = workers[name] else { return }
        worker.uses = 0
        store(worker, as: name)
    }

    /// Worker `name`'s connection `link` ended. Its builds end on their own (``buildFinished(_:results:)``) and
    /// count against its `maxBuilds` until then; a connection that already took its place stays.
    package mutating func workerDetached(_ name: String, link: Link) -> [Action] {
        guard var worker = workers[name], case .attached(let attached) = worker.connection, attached.link === link
        else { return [] }
        worker.connection = .notConnected
        store(worker, as: name)
        return []
    }

    /// The workers' flags were read from the database, for the workers it shows connected here: a kill shuts the
    /// worker down at once and is cleared, a graceful shutdown happens once the worker runs no build, and
    /// unpausing ends a quarantine. Each connection is shut down once.
    package mutating func controlsRead(_ controls: [String: WorkerControl]) -> [Action] {
        for name in Set(workers.keys).subtracting(controls.keys) {
            guard var worker = workers[name] else { continue }
            worker.control = nil
            worker.shutDownOn = nil
            store(worker, as: name)
        }
        var actions: [Action] = []
        for (name, control) in controls.sorted(by: { $0.key < $1.key }) {
            actions += obey(control, of: name)
        }
        return actions
    }

    /// Worker `name`'s quarantine ran out.
    package mutating func quarantineEnded(_ name: String) -> [Action] {
        guard var worker = workers[name], worker.quarantined else { return [] }
        worker.quarantined = false
        store(worker, as: name)
        return [.wakeUp]
    }

    /// The build of `request` ended with `results`; nil when it did not run and its request was handed back.
    /// An EXCEPTION puts its worker in quarantine; any other result but RETRY resets the next one's length. A
    /// worker asked to shut down gracefully is shut down once its last build ends.
    package mutating func buildFinished(_ request: Int, results: BuildResult?) -> [Action] {
        guard let name = runningOn.removeValue(forKey: request), var worker = workers[name] else { return [.wakeUp] }
        worker.busy.remove(request)
        var actions: [Action] = []
        switch results {
        case .exception?:
            let length = worker.nextQuarantine ?? Self.quarantineStart
            worker.nextQuarantine = min(length * 2, Self.quarantineCap)
            if worker.quarantined { actions.append(.cancelQuarantineTimer(worker: name)) }
            worker.quarantined = true
            actions.append(.startQuarantineTimer(worker: name, length: length))
        case .retry?, nil:
            break
        case .success?, .warnings?, .failure?, .skipped?, .cancelled?:
            worker.nextQuarantine = nil
        }
        store(worker, as: name)
        // A graceful shutdown waiting for this build happens now, not at the next read of the flags.
        if let control = worker.control { actions += obey(control, of: name) }
        return actions + [.wakeUp]
    }

    /// Worker `name`'s connection, when it is attached here.
    package func attached(_ name: String) -> Attached? {
        guard case .attached(let attached)? = workers[name]?.connection else { return nil }
        return attached
    }

    /// Every worker attached here, by id.
    package var attachedWorkers: [Attached] {
        workers.keys.compactMap { attached($0) }.sorted { $0.id < $1.id }
    }

    /// The flags of worker `name` as just read.
    private mutating func obey(_ control: WorkerControl, of name: String) -> [Action] {
        var worker = workers[name] ?? Worker()
        var actions: [Action] = []
        if !control.paused, worker.control?.paused == true {
            worker.nextQuarantine = nil
            if worker.quarantined {
                worker.quarantined = false
                actions += [.cancelQuarantineTimer(worker: name), .wakeUp]
            }
        }
        worker.control = control
        if control.killRequested || control.graceful, case .attached(let attached) = worker.connection,
            worker.shutDownOn !== attached.link
        {
            if control.killRequested {
                worker.shutDownOn = attached.link
                actions += [
                    .shutDown(worker: name, reason: "killed by request"), .clearKillRequest(workerID: attached.id),
                ]
            } else if worker.busy.isEmpty {
                worker.shutDownOn = attached.link
                actions.append(.shutDown(worker: name, reason: "graceful shutdown"))
            }
        }
        store(worker, as: name)
        return actions
    }

    /// Keeps `worker` as `name`, or forgets it when nothing about it is left.
    mutating func store(_ worker: Worker, as name: String) {
        workers[name] = worker.isForgettable ? nil : worker
    }
}
