public import GantryModel
import SQLKit

/// A state write made in the same transaction as another change (a buildset, change classifications), so the
/// two are never separated.
public struct StateWrite: Sendable {
    public var objectID: Int
    public var key: String
    public var value: JSONValue
    /// When given, the write (and so the whole transaction) happens only if the stored version is this one, as
    /// ``StateConnector/setState(_:_:_:expectedVersion:fence:)``.
    public var expectedVersion: Int?

    public init(objectID: Int, key: String, value: JSONValue, expectedVersion: Int? = nil) {
        self.objectID = objectID
        self.key = key
        self.value = value
        self.expectedVersion = expectedVersion
    }

    func write(in sql: any SQLDatabase) async throws {
        _ = try await StateConnector.write(objectID, key, value, expectedVersion: expectedVersion, in: sql)
    }
}
