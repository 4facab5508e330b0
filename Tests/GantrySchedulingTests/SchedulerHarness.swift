import Foundation
import GantryCluster
import GantryModel
import GantryScheduling
import GantryStorage
import GantryTesting
import Testing

/// Runs scheduler behaviours as clustered services on a test database, on a manual clock.
struct SchedulerHarness {
    let db: Database
    let clock: ManualClock

    /// A harness whose database has `builders` registered, as masters do for their configured builders.
    init(db: Database, clock: ManualClock, builders: [String]) async throws {
        self.db = db
        self.clock = clock
        for name in builders { _ = try await db.builders.findBuilderId(name) }
    }

    func service(_ behavior: any ClusteredServiceBehavior, master: String = "m1") async throws -> ClusteredService {
        ClusteredService(
            behavior: behavior,
            claimer: DatabaseServiceClaimer(database: db, kind: .scheduler),
            masterID: try await db.masters.findMasterId(master),
            claimPoll: .seconds(5),
            clock: clock,
            logger: silentLogger
        )
    }

    /// Runs `behavior` on `master` while `body` runs, then stops it.
    func running<T: Sendable>(
        _ behavior: any ClusteredServiceBehavior,
        master: String = "m1",
        _ body: (ClusteredService) async throws -> T
    ) async throws -> T {
        let service = try await service(behavior, master: master)
        let task = Task { await service.run() }
        await service.waitUntilStarted()
        do {
            let result = try await body(service)
            service.stop()
            await task.value
            return result
        } catch {
            service.stop()
            await task.value
            throw error
        }
    }

    @discardableResult
    func addChange(
        branch: String? = "main",
        files: [String] = ["src/main.c"],
        repository: String = "https://example.org/repo.git",
        project: String = "",
        codebase: String = "",
        properties: [String: JSONValue] = [:]
    ) async throws -> Int {
        try await db.changes.addChange(
            NewChange(
                author: "dev", files: files, properties: properties, revision: UUID().uuidString, branch: branch,
                repository: repository, project: project, codebase: codebase))
    }

    func buildsets() async throws -> [Buildset] {
        try await db.buildsets.getBuildsets()
    }

    /// Per buildset, oldest first, the changes whose sourcestamps it builds (the newest change of each codebase).
    func changesBehindBuildsets() async throws -> [[Int]] {
        let changes = try await db.changes.getChanges()
        return try await buildsets().map { buildset in
            changes.filter { buildset.sourceStampIDs.contains($0.sourceStampID) }.map(\.id)
        }
    }

    /// Waits until the scheduler state says every change so far has been read.
    func waitUntilRead(_ name: String, className: String) async throws {
        let objectID = try await db.state.getObjectId(name, className: className)
        let latest = try await db.changes.getLatestChangeid() ?? 0
        #expect(
            try await waitUntil {
                try await db.state.getState(objectID, "last_changeid", default: nil) == .number(Double(latest))
            })
    }
}

extension SchedulerContext {
    /// A context on a test database whose timers run on `clock`.
    static func testing(_ db: Database, _ clock: ManualClock) -> SchedulerContext {
        SchedulerContext(database: db, clock: clock, logger: silentLogger)
    }
}
