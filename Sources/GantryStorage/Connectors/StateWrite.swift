public import GantryModel
import SQLKit

/// A state write made in the same transaction as another change (a buildset, change classifications), so the
/// two are never separated.
public struct StateWrite: Sendable {
    public var objectID: Int
    public var key: String
    public var value: JSONValue

    public init(objectID: Int, key: String, value: JSONValue) {
        self.objectID = objectID
        self.key = key
        self.value = value
    }

    func write(in sql: any SQLDatabase) async throws {
        _ = try await StateConnector.write(objectID, key, value, expectedVersion: nil, in: sql)
    }
}
