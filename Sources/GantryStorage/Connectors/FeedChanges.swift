import GantryModel
import SQLKit

/// The feed events one transaction writes, gathered as it changes things and recorded with
/// ``EventsConnector/record(_:in:database:)`` as its last statements.
///
/// An event names its resource by collection and id; the resource is read when the events are recorded, after
/// every change of the transaction, so its payload is what the REST API shows once the transaction commits. A
/// caller that already holds the resource whole (it just wrote it) gives the payload instead, saving the read.
struct FeedChanges: Sendable {
    /// The kinds of resource events name, spelled as in event keys (`builds/12/new`).
    enum Resource: String, Sendable {
        case buildsets, buildrequests, builds, steps, workers, schedulers, masters, changes
    }

    private enum Entry: Sendable {
        case named(Resource, id: Int, event: String)
        case rendered(key: String, payload: JSONValue)
    }

    private var entries: [Entry] = []

    init() {}

    /// `<collection>/<id>/<event>` for each of `ids`, in order.
    init(_ collection: Resource, _ ids: some Sequence<Int>, _ event: String) {
        add(collection, ids, event)
    }

    var isEmpty: Bool { entries.isEmpty }

    /// Adds `<collection>/<id>/<event>` for each of `ids`, in order.
    mutating func add(_ collection: Resource, _ ids: some Sequence<Int>, _ event: String) {
        entries += ids.map { Entry.named(collection, id: $0, event: event) }
    }

    /// Adds an event whose payload the caller holds.
    mutating func add(key: String, payload: JSONValue) {
        entries.append(.rendered(key: key, payload: payload))
    }

    /// Adds `other`'s events after these.
    mutating func add(_ other: FeedChanges) {
        entries += other.entries
    }

    /// The events' keys and payloads, in the order they were added; an event whose resource is gone (its
    /// change matched nothing) is left out. One read per collection and batch of ids.
    func rendered(in sql: any SQLDatabase, dialect: Dialect) async throws -> [(key: String, payload: JSONValue)] {
        var wanted: [Resource: Set<Int>] = [:]
        for case .named(let collection, let id, _) in entries { wanted[collection, default: []].insert(id) }
        var resources: [Resource: [Int: JSONValue]] = [:]
        for (collection, ids) in wanted {
            for batch in Batches.of(ids.sorted()) {
                let read = try await Self.resources(collection, Array(batch), in: sql, dialect: dialect)
                resources[collection, default: [:]].merge(read) { _, last in last }
            }
        }
        var rendered: [(key: String, payload: JSONValue)] = []
        for entry in entries {
            switch entry {
            case .named(let collection, let id, let event):
                guard let payload = resources[collection]?[id] else { continue }
                rendered.append(("\(collection.rawValue)/\(id)/\(event)", payload))
            case .rendered(let key, let payload):
                rendered.append((key, payload))
            }
        }
        return rendered
    }

    /// The resources of `ids` (at most a batch of them) in `collection`, by id.
    private static func resources(
        _ collection: Resource, _ ids: [Int], in sql: any SQLDatabase, dialect: Dialect
    ) async throws -> [Int: JSONValue] {
        switch collection {
        case .buildsets: return try await BuildsetsConnector.resources(ids, in: sql)
        case .buildrequests: return try await BuildRequestsConnector.resources(ids, in: sql)
        case .builds: return try await BuildsConnector.resources(ids, in: sql)
        case .steps: return try await StepsConnector.resources(ids, in: sql)
        case .workers: return try await WorkersConnector.resources(ids, in: sql)
        case .schedulers: return try await SchedulersConnector.resources(ids, in: sql, dialect: dialect)
        case .masters: return try await MastersConnector.resources(ids, in: sql)
        case .changes: return try await ChangesConnector.resources(ids, in: sql)
        }
    }
}
