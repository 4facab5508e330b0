import GantryModel
import GantryStorage

/// A running build's properties: kept for interpolation and stored as they are set, so the API shows them
/// while the build runs.
actor BuildProperties {
    private let database: Database
    private let buildID: Int
    /// `name: [value, source]`, Buildbot's shape.
    private(set) var all: [String: JSONValue] = [:]

    /// - Parameter stored: The properties already stored with the build.
    init(database: Database, buildID: Int, stored: [String: JSONValue]) {
        self.database = database
        self.buildID = buildID
        self.all = stored
    }

    /// The values alone, for interpolation.
    var values: [String: JSONValue] {
        all.mapValues { $0.elements.first ?? .null }
    }

    /// Sets `properties` (`name: [value, source]`), replacing any of the same name.
    func set(_ properties: [String: JSONValue]) async throws {
        try await database.builds.setBuildProperties(buildID, properties)
        all.merge(properties) { _, new in new }
    }

    func set(_ name: String, _ value: JSONValue, source: String) async throws {
        try await set([name: [value, .string(source)]])
    }
}
