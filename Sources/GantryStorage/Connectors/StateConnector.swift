public import GantryModel
import SQLKit

/// Persistent state of services: JSON values per (object, key), versioned so writers can compare-and-set,
/// and fenced so a master that lost a service's claim cannot write on its behalf.
public struct StateConnector: Sendable {
    let database: Database

    /// A stored value with the version a compare-and-set must name to replace it.
    public struct Versioned: Sendable, Hashable {
        public var value: JSONValue
        public var version: Int

        public init(value: JSONValue, version: Int) {
            self.value = value
            self.version = version
        }
    }

    /// The id of the object (`name`, `className`), creating it when new; race-safe. Names and class names longer
    /// than 128 characters are stored as their first 64 characters followed by the SHA-1 of the whole.
    public func getObjectId(_ name: String, className: String) async throws -> Int {
        try await database.findOrCreateID(
            in: "objects", key: [("name", Self.shortened(name)), ("class_name", Self.shortened(className))])
    }

    /// The value stored under `key`.
    /// - Throws: `GantryError.notFound` when there is none, `GantryError.corruptState` when it is not valid JSON.
    public func getState(_ objectid: Int, _ key: String) async throws -> JSONValue {
        guard let stored = try await getVersionedState(objectid, key) else {
            throw GantryError(.notFound, "object \(objectid) has no state '\(key)'")
        }
        return stored.value
    }

    /// The value stored under `key`, or `defaultValue` when there is none.
    /// - Throws: `GantryError.corruptState` when the stored text is not valid JSON.
    public func getState(_ objectid: Int, _ key: String, default defaultValue: JSONValue) async throws -> JSONValue {
        try await getVersionedState(objectid, key)?.value ?? defaultValue
    }

    /// The value and version stored under `key`, or `nil`.
    public func getVersionedState(_ objectid: Int, _ key: String) async throws -> Versioned? {
        try await database.withTransaction { sql in try await Self.read(objectid, key, in: sql) }
    }

    /// Stores `value` under `key`, replacing what is there.
    ///
    /// - Parameters:
    ///   - expectedVersion: When given, the write happens only if the stored version is this one (`0`: only if
    ///     nothing is stored); otherwise `GantryError.conflict` and nothing is written. A racing write is reported,
    ///     never silently dropped.
    ///   - fence: When given, the write happens only while that claim is current; otherwise `GantryError.fenced`.
    /// - Returns: The new version.
    @discardableResult
    public func setState(
        _ objectid: Int,
        _ key: String,
        _ value: JSONValue,
        expectedVersion: Int? = nil,
        fence: ClaimFence? = nil
    ) async throws -> Int {
        let dialect = database.dialect
        return try await database.withTransaction { sql in
            if let fence { try await ServiceClaims(kind: fence.kind, dialect: dialect).requireCurrent(fence, in: sql) }
            return try await Self.write(objectid, key, value, expectedVersion: expectedVersion, in: sql)
        }
    }

    /// Stores several values in one transaction, only while `fence` is current (else `GantryError.fenced` and
    /// nothing is written).
    public func setStates(_ writes: [StateWrite], fence: ClaimFence) async throws {
        let dialect = database.dialect
        try await database.withTransaction { sql in
            try await ServiceClaims(kind: fence.kind, dialect: dialect).requireCurrent(fence, in: sql)
            for write in writes { try await write.write(in: sql) }
        }
    }

    /// The value under `key`, creating it with `create()` when there is none; a racing creator's value wins.
    public func atomicCreateState(
        _ objectid: Int,
        _ key: String,
        create: @Sendable () throws -> JSONValue
    ) async throws -> JSONValue {
        try await database.withTransaction { sql in
            if let stored = try await Self.read(objectid, key, in: sql) { return stored.value }
            try await sql.insert(into: "object_state")
                .columns("objectid", "name", "value_json", "version")
                .values(SQLBind(objectid), SQLBind(key), SQLBind(try create().jsonText), SQLBind(1))
                .ignoringConflicts(with: ["objectid", "name"])
                .run()
            guard let stored = try await Self.read(objectid, key, in: sql) else {
                throw StorageInvariantError("state \(objectid)/\(key) vanished after insert")
            }
            return stored.value
        }
    }

    static func read(_ objectid: Int, _ key: String, in sql: any SQLDatabase) async throws -> Versioned? {
        guard
            let row = try await sql.select().columns("value_json", "version").from("object_state")
                .where("objectid", .equal, objectid)
                .where("name", .equal, key)
                .first()
        else { return nil }
        let text = try row.decode(column: "value_json", as: String.self)
        let value: JSONValue
        do {
            value = try JSONValue(json: text)
        } catch {
            throw GantryError(
                .corruptState, "state '\(key)' of object \(objectid) is not valid JSON", underlying: error)
        }
        return Versioned(value: value, version: try row.decode(column: "version", as: Int.self))
    }

    /// The one write path: an upsert, or a version-checked update or insert.
    static func write(
        _ objectid: Int,
        _ key: String,
        _ value: JSONValue,
        expectedVersion: Int?,
        in sql: any SQLDatabase
    ) async throws -> Int {
        let conflict = GantryError(.conflict, "state '\(key)' of object \(objectid) was changed by another writer")
        switch expectedVersion {
        case nil:
            return try await sql.insert(into: "object_state")
                .columns("objectid", "name", "value_json", "version")
                .values(SQLBind(objectid), SQLBind(key), SQLBind(value.jsonText), SQLBind(1))
                .onConflict(with: ["objectid", "name"]) {
                    $0.set("value_json", to: value.jsonText)
                        .set(SQLIdentifier("version"), to: SQLRaw("object_state.version + 1"))
                }
                .returning("version")
                .first(decodingColumn: "version", as: Int.self) ?? 1
        case 0?:
            let inserted = try await sql.insert(into: "object_state")
                .columns("objectid", "name", "value_json", "version")
                .values(SQLBind(objectid), SQLBind(key), SQLBind(value.jsonText), SQLBind(1))
                .ignoringConflicts(with: ["objectid", "name"])
                .returning("version")
                .all()
            guard !inserted.isEmpty else { throw conflict }
            return 1
        case let version?:
            let updated = try await sql.update("object_state")
                .set("value_json", to: value.jsonText)
                .set("version", to: version + 1)
                .where("objectid", .equal, objectid)
                .where("name", .equal, key)
                .where("version", .equal, version)
                .returning("version")
                .all()
            guard !updated.isEmpty else { throw conflict }
            return version + 1
        }
    }

    /// Buildbot's `ensureLength`: long names keep a readable prefix and stay unique through the hash.
    static func shortened(_ name: String) -> String {
        guard name.count > 128 else { return name }
        return String(name.prefix(64)) + NameHash.of(name)
    }
}

extension Database {
    /// The state connector of this database.
    public var state: StateConnector { StateConnector(database: self) }
}
