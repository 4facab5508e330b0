import Foundation
import GantryModel
public import GantryStorage
public import Logging
import Synchronization

/// One master's life in the cluster: clean up after its own crash, expire stale peers, start its
/// clustered services, check in on every heartbeat, and stop cleanly.
///
/// The master has registered (`findMasterId`) before its lifecycle is built, so its id is a plain value.
/// Start: take the session lock → `masterStopped(self)` (in case it crashed) → expire stale masters with forced
/// housekeeping → register its builders → start services and wait for their first poll → `masterActive`. Each heartbeat: check in;
/// if a peer had expired this master, every service deactivates at once; otherwise every service re-checks its
/// claim; then every other master silent for longer than `expireAfter` is expired, and the services poll for the
/// claims it released at once. Stop: stop the services
/// (deactivate, then release their own claims), then `masterStopped`.
public final class MasterLifecycle: Sendable {
    public let name: String
    /// The master's id, from `findMasterId`.
    public let masterID: Int
    private let database: Database
    private let settings: ClusterSettings
    private let clock: any Clock<Duration>
    private let builders: [String]
    private let behaviors: [any ClusteredServiceBehavior]
    private let announce: @Sendable (ClusterEvent) -> Void
    private let logger: Logger
    private let mailbox = Mailbox<Event>()

    private enum Event: Sendable {
        case heartbeat
        case sessionCheck
        /// `builders` nil keeps the builder list; `done` opens once the change is applied (or never will be).
        case reconfigure(builders: [String]?, changes: [ServiceChange], done: Latch)
        case stop
    }

    public init(
        name: String,
        masterID: Int,
        database: Database,
        settings: ClusterSettings,
        clock: any Clock<Duration>,
        builders: [String] = [],
        services: [any ClusteredServiceBehavior],
        logger: Logger,
        announce: @escaping @Sendable (ClusterEvent) -> Void = { _ in }
    ) {
        self.name = name
        self.masterID = masterID
        self.database = database
        self.settings = settings
        self.clock = clock
        self.builders = builders
        self.behaviors = services
        self.logger = logger
        self.announce = announce
    }

    /// Applies a new configuration while the master runs: its builder list becomes `builders` (unless nil), and
    /// each change starts, stops or restarts a service, in order, between heartbeats (a change posted while the
    /// master starts waits for it). Returns once the builders are registered and the changes made (a
    /// service that ``ClusteredServiceBehavior/deactivatesSlowly`` is not waited for); the outcome is logged.
    public func reconfigure(builders: [String]?, changes: [ServiceChange]) async {
        let done = Latch()
        mailbox.post(.reconfigure(builders: builders, changes: changes, done: done))
        await done.waitUnlessCancelled()
    }

    /// Asks the master to stop cleanly; ``run(started:)`` returns once it has.
    public func stop() {
        mailbox.post(.stop)
    }

    /// Runs the master until ``stop()``.
    /// - Parameter started: Called with the master's id and its services once every service has had its first
    ///   poll and the master has checked in.
    public func run(started: @Sendable (Int, [ClusteredService]) -> Void = { _, _ in }) async throws {
        // A reconfiguration that is never made is not waited for.
        defer { mailbox.close { if case .reconfigure(_, _, let done) = $0 { done.open() } } }
        var logger = logger
        logger[metadataKey: LogKey.master] = "\(masterID)"
        // Taken before this master holds anything (builder links, claims) or checks in as active, so no peer
        // ever takes it for dead; a previous process of it that still holds the lock is waited for.
        let sessionHeld = Latch()
        let ownLockSince = Mutex<ContinuousClock.Instant?>(nil)
        let session = Task { [database] in
            await database.masters.holdSession(masterID) { held in
                ownLockSince.withLock { $0 = held ? ContinuousClock.now : nil }
                if held { sessionHeld.open() }
            }
        }
        defer { session.cancel() }
        if database.tracksSessions {
            await sessionHeld.waitUnlessCancelled()
        }
        var suspects = SessionSuspects(confirmation: settings.sessionConfirmation)
        if try await database.masters.masterStopped(masterID) {
            logger.info("cleaned up after this master's previous run")
            announce(.masterStopped(id: masterID, name: name))
        }
        try await expirePeers(except: nil, force: true, logger: logger)
        try await registerBuilders(builders, masterID: masterID)

        let makeService = { [database, settings, clock, masterID] (behavior: any ClusteredServiceBehavior) in
            ClusteredService(
                behavior: behavior,
                claimer: DatabaseServiceClaimer(database: database, kind: behavior.kind),
                masterID: masterID,
                claimPoll: settings.claimPoll,
                clock: clock,
                logger: logger
            )
        }
        var services = behaviors.map(makeService)
        var builderNames = builders
        // Set when a peer expired this master; cleared once its builders are registered again.
        var reregistering = false
        await withTaskGroup(of: Void.self) { group in
            for service in services { group.addTask { await service.run() } }
            for service in services { await service.waitUntilStarted() }
            await checkIn(
                masterID, services: services, builders: builderNames, firstTime: true,
                reregistering: &reregistering, background: &group, logger: logger)
            started(masterID, services)
            await withTaskGroup(of: Void.self) { timers in
                scheduleHeartbeat(in: &timers)
                if database.tracksSessions { scheduleSessionCheck(in: &timers) }
                while let event = await mailbox.next() {
                    if case .reconfigure(let names, let changes, let done) = event {
                        defer { done.open() }
                        if let names {
                            builderNames = names
                            do {
                                try await registerBuilders(names, masterID: masterID)
                            } catch {
                                logger.error(
                                    "registering the builders failed", metadata: [LogKey.error: "\(error)"])
                            }
                        }
                        for change in changes {
                            let (stopping, starting) = Self.plan(change)
                            if let stopping,
                                let index = services.firstIndex(where: {
                                    $0.behavior.kind == stopping.kind && $0.behavior.name == stopping.name
                                })
                            {
                                services[index].stop()
                                if !services[index].behavior.deactivatesSlowly {
                                    await services[index].waitUntilStopped()
                                }
                                services.remove(at: index)
                            }
                            if let starting {
                                let service = makeService(starting)
                                services.append(service)
                                group.addTask { await service.run() }
                            }
                        }
                        logger.info(
                            "reconfigured", metadata: [LogKey.services: "\(services.map(\.behavior.name).sorted())"])
                        continue
                    }
                    if case .sessionCheck = event {
                        let gone = await expireDeadPeers(
                            except: masterID, suspects: &suspects, ownLockSince: ownLockSince.withLock { $0 },
                            logger: logger)
                        if !gone.isEmpty { for service in services { service.pollNow() } }
                        scheduleSessionCheck(in: &timers)
                        continue
                    }
                    guard case .heartbeat = event else { break }
                    await checkIn(
                        masterID, services: services, builders: builderNames, firstTime: false,
                        reregistering: &reregistering, background: &group, logger: logger)
                    do {
                        let expired = try await expirePeers(except: masterID, force: false, logger: logger)
                        // What the expired masters held is free now: claim it without waiting for the next poll.
                        if !expired.isEmpty { for service in services { service.pollNow() } }
                    } catch {
                        logger.warning("expiring silent masters failed", metadata: [LogKey.error: "\(error)"])
                    }
                    scheduleHeartbeat(in: &timers)
                }
                timers.cancelAll()
            }

            for service in services { service.stop() }
            await group.waitForAll()
        }
        if try await database.masters.masterStopped(masterID) {
            announce(.masterStopped(id: masterID, name: name))
        }
        logger.info("master stopped")
    }

    /// What a change stops (kind and name) and what it starts.
    private static func plan(_ change: ServiceChange) -> (
        stopping: (kind: ServiceKind, name: String)?, starting: (any ClusteredServiceBehavior)?
    ) {
        switch change {
        case .start(let behavior): (nil, behavior)
        case .stop(let kind, let name): ((kind, name), nil)
        case .restart(let behavior): ((behavior.kind, behavior.name), behavior)
        }
    }

    private func registerBuilders(_ names: [String], masterID: Int) async throws {
        var builderIDs: [Int] = []
        for builder in names { builderIDs.append(try await database.builders.findBuilderId(builder)) }
        try await database.builders.updateBuilderList(masterID, builderids: builderIDs)
    }

    private func scheduleHeartbeat(in group: inout TaskGroup<Void>) {
        group.addTask { [clock, settings, mailbox] in
            guard (try? await clock.sleep(for: settings.heartbeat)) != nil else { return }
            mailbox.post(.heartbeat)
        }
    }

    private func scheduleSessionCheck(in group: inout TaskGroup<Void>) {
        group.addTask { [clock, settings, mailbox] in
            guard (try? await clock.sleep(for: settings.sessionCheck)) != nil else { return }
            mailbox.post(.sessionCheck)
        }
    }

    /// Expires the peers whose process is gone (their session ended, as ``SessionSuspects`` confirms): a killed
    /// master's services and builds move within a few seconds, not `expireAfter`.
    /// - Returns: The masters expired now.
    private func expireDeadPeers(
        except masterID: Int, suspects: inout SessionSuspects, ownLockSince: ContinuousClock.Instant?, logger: Logger
    ) async -> [Master] {
        do {
            let lockless = try await database.masters.mastersWithoutSession(except: masterID)
            if !lockless.isEmpty {
                logger.debug("peers without their session lock", metadata: [LogKey.masters: "\(lockless.sorted())"])
            }
            var expired: [Master] = []
            for id in suspects.observed(lockless: lockless, ownLockSince: ownLockSince, at: .now).sorted() {
                suspects.forget(id)
                guard let master = try await database.masters.expireMasterWithoutSession(id) else { continue }
                logger.warning(
                    "expired a master whose process is gone", metadata: [LogKey.expiredMaster: "\(master.id)"])
                announce(.masterStopped(id: master.id, name: master.name))
                expired.append(master)
            }
            return expired
        } catch {
            logger.warning("looking for masters whose process is gone failed", metadata: [LogKey.error: "\(error)"])
            return []
        }
    }

    /// Checks in; when this was not the first check-in and the master had been marked inactive, a peer expired
    /// it, so its services must give up what they no longer own, and it registers its builders again (the
    /// expiry deleted its links) before announcing that it is back, so its workers can be recorded on them. A
    /// registration that fails is tried again at every check-in until it succeeds.
    private func checkIn(
        _ masterID: Int, services: [ClusteredService], builders: [String], firstTime: Bool,
        reregistering: inout Bool, background: inout TaskGroup<Void>, logger: Logger
    ) async {
        var expired = false
        do {
            let reactivated = try await database.masters.masterActive(masterID)
            expired = reactivated && !firstTime
            if expired {
                logger.warning("this master had been expired by a peer; deactivating its services")
                reregistering = true
            } else if reactivated {
                announce(.masterStarted(id: masterID, name: name))
            }
        } catch {
            logger.error("check-in failed", metadata: [LogKey.error: "\(error)"])
        }
        if !firstTime {
            for service in services {
                // The heartbeat does not wait for a service whose deactivation may take long.
                if service.behavior.deactivatesSlowly {
                    background.addTask { await service.revalidate(masterExpired: expired) }
                } else {
                    await service.revalidate(masterExpired: expired)
                }
            }
        }
        guard reregistering else { return }
        do {
            try await registerBuilders(builders, masterID: masterID)
            reregistering = false
            announce(.masterStarted(id: masterID, name: name))
        } catch {
            logger.error("registering again after an expiry failed", metadata: [LogKey.error: "\(error)"])
        }
    }

    /// - Returns: The masters expired now.
    @discardableResult
    private func expirePeers(except masterID: Int?, force: Bool, logger: Logger) async throws -> [Master] {
        let staleBefore = database.clock.now().addingTimeInterval(-settings.expireAfter.timeInterval)
        let expired = try await database.masters.expireMasters(
            staleBefore: staleBefore,
            except: masterID,
            forceHouseKeeping: force
        )
        for master in expired {
            logger.warning("expired a silent master", metadata: [LogKey.expiredMaster: "\(master.id)"])
            announce(.masterStopped(id: master.id, name: master.name))
        }
        return expired
    }
}
