import Foundation
import GantryAPI
import GantryModel
import GantryScheduling
import GantryStorage
import GantryTesting
import Hummingbird

/// Runs the HTTP API of `database` on a free local port, within `limits` (serving Buildbot's UI with
/// `buildbotUI`), for the length of `body`.
func withAPIServer<T: Sendable>(
    _ database: Database,
    changeHooks: ChangeHookSettings = ChangeHookSettings(),
    forceSchedulers: [ForceScheduler] = [],
    masterID: Int = 0,
    limits: HTTPLimits = HTTPLimits(),
    eventFeed settings: EventFeedSettings = EventFeedSettings(),
    access: AccessControl = AccessControl(nil),
    buildbotUI: BuildbotUI? = nil,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (URL) async throws -> T
) async throws -> T {
    let (ports, listening) = AsyncStream<Int>.makeStream()
    let feed = EventFeed(database: database, settings: settings, logger: silentLogger)
    let server = HTTPServer(
        HTTPAPI(
            database: database, eventFeed: feed, changeHooks: changeHooks,
            forceSchedulers: ForceSchedulerRegistry(forceSchedulers), masterID: masterID,
            templates: try WebTemplates(), access: access, logger: silentLogger),
        host: "127.0.0.1", port: 0, limits: limits, buildbotUI: buildbotUI
    ) { port in
        listening.yield(port)
    }
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await feed.run() }
        group.addTask { try await server.run() }
        defer { group.cancelAll() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return try await body(URL(string: "http://127.0.0.1:\(port)")!)
    }
}
