public import Foundation
import GantryModel
import SQLKit

/// The `web_sessions` table: browsers' logins, shared by every master, so any master behind a load balancer
/// accepts a session another one opened. Only the SHA-256 of a session's cookie is stored.
public struct WebSessionsConnector: Sendable {
    let database: Database

    /// What every session cookie's value starts with.
    public static let secretPrefix = "gss_"

    /// A new session for `user`, ending `lifetime` after `now` unless used; the secret (the cookie's value,
    /// "gss_" + random) is returned once, only its hash is stored.
    public func create(
        user: String, credential: String, lifetime: Duration, address: String?, now: Date
    ) async throws -> (session: WebSession, secret: String) {
        let secret = SecretDigest.make(prefix: Self.secretPrefix)
        let created = now.epochSeconds
        let expires = created.addingSaturated(Self.seconds(lifetime))
        let id = try await database.withTransaction { sql in
            try await sql.insert(into: "web_sessions")
                .columns("session_hash", "user_name", "credential", "created_at", "expires_at", "address")
                .values(
                    SQLBind(SecretDigest.hash(secret)), SQLBind(user), SQLBind(credential),
                    SQLBind(created), SQLBind(expires), SQLBind(address)
                )
                .returning("id")
                .first(decodingColumn: "id", as: Int.self)
        }
        guard let id else { throw StorageInvariantError("session insert returned no id") }
        let session = WebSession(
            id: id, user: user, credential: credential, createdAt: Date(epochSeconds: created),
            expiresAt: Date(epochSeconds: expires), address: address)
        return (session, secret)
    }

    /// The live session for this cookie value; slides its expiry to now+lifetime when less than half of lifetime
    /// remains (one UPDATE), so a session in use never ends and one left alone ends within a lifetime.
    public func authenticate(_ secret: String, lifetime: Duration, now: Date) async throws -> WebSession? {
        guard secret.hasPrefix(Self.secretPrefix) else { return nil }
        let digest = SecretDigest.hash(secret)
        let seconds = now.epochSeconds
        let lifetimeSeconds = Self.seconds(lifetime)
        return try await database.withTransaction { sql -> WebSession? in
            guard
                let row = try await sql.select()
                    .columns("id", "user_name", "credential", "created_at", "expires_at", "address")
                    .from("web_sessions").where("session_hash", .equal, digest).first()
            else { return nil }
            let id = try row.decode(column: "id", as: Int.self)
            var expires = try row.decode(column: "expires_at", as: Int.self)
            guard expires > seconds else { return nil }
            if expires - seconds < lifetimeSeconds / 2 {
                expires = seconds.addingSaturated(lifetimeSeconds)
                try await sql.update("web_sessions").set("expires_at", to: expires).where("id", .equal, id).run()
            }
            return WebSession(
                id: id,
                user: try row.decode(column: "user_name", as: String.self),
                credential: try row.decode(column: "credential", as: String.self),
                createdAt: Date(epochSeconds: try row.decode(column: "created_at", as: Int.self)),
                expiresAt: Date(epochSeconds: expires),
                address: try row.decode(column: "address", as: String?.self)
            )
        }
    }

    /// Logout: deletes it; false when unknown.
    public func revoke(secret: String) async throws -> Bool {
        guard secret.hasPrefix(Self.secretPrefix) else { return false }
        let digest = SecretDigest.hash(secret)
        return try await database.withTransaction { sql in
            try await !sql.delete(from: "web_sessions").where("session_hash", .equal, digest)
                .returning("id").all().isEmpty
        }
    }

    /// Deletes expired sessions (and is cheap when there are none: the index on the expiry finds them); returns
    /// how many.
    @discardableResult
    public func deleteExpired(now: Date) async throws -> Int {
        let seconds = now.epochSeconds
        return try await database.withTransaction { sql in
            try await sql.delete(from: "web_sessions").where("expires_at", .lessThanOrEqual, seconds)
                .returning("id").all().count
        }
    }

    /// A lifetime in whole seconds, at least one.
    private static func seconds(_ lifetime: Duration) -> Int {
        max(1, Int(clamping: lifetime.components.seconds))
    }

}

extension Database {
    /// The web sessions connector of this database.
    public var webSessions: WebSessionsConnector { WebSessionsConnector(database: self) }
}
