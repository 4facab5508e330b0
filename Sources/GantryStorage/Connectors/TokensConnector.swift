public import Foundation
import GantryModel
import SQLKit

/// The `api_tokens` table: tokens for scripts and the command line, each acting as a user with the roles it
/// carries. Only the SHA-256 of a token's secret is stored; the secret is shown once, when the token is made.
public struct TokensConnector: Sendable {
    let database: Database

    /// What every token's secret starts with, so a leaked one is recognised (and secret scanners can find it).
    public static let secretPrefix = "gtk_"

    /// How long a token's last use may be out of date: a token used all the time is written once a minute, not
    /// at every request.
    static let lastUseResolution = 60

    /// A new token: the secret ("gtk_" + random) is returned once, only its hash is stored.
    /// - Throws: `GantryError.invalidArgument` for an empty user name.
    public func create(
        user: String, roles: [String], description: String, expiresAt: Date?, now: Date
    ) async throws -> (token: APIToken, secret: String) {
        guard !user.isEmpty else { throw GantryError(.invalidArgument, "a token needs a user name") }
        let secret = SecretDigest.make(prefix: Self.secretPrefix)
        let created = now.epochSeconds
        let expires = expiresAt?.epochSeconds
        let id = try await database.withTransaction { sql in
            try await sql.insert(into: "api_tokens")
                .columns("token_hash", "user_name", "roles", "description", "created_at", "expires_at")
                .values(
                    SQLBind(SecretDigest.hash(secret)), SQLBind(user), SQLBind(Self.rolesText(roles)),
                    SQLBind(description), SQLBind(created), SQLBind(expires)
                )
                .returning("id")
                .first(decodingColumn: "id", as: Int.self)
        }
        guard let id else { throw StorageInvariantError("token insert returned no id") }
        let token = APIToken(
            id: id, user: user, roles: roles, description: description, createdAt: Date(epochSeconds: created),
            expiresAt: expires.map(Date.init(epochSeconds:)), lastUsedAt: nil, revokedAt: nil)
        return (token, secret)
    }

    /// The live token (not revoked, not expired at `now`) whose secret this is; records `last_used_at = now` at
    /// most once a minute per token (the write is skipped while the last use is under 60 s old).
    public func authenticate(_ secret: String, now: Date) async throws -> APIToken? {
        // Not a token's secret: no need to ask the database.
        guard secret.hasPrefix(Self.secretPrefix) else { return nil }
        let digest = SecretDigest.hash(secret)
        let seconds = now.epochSeconds
        return try await database.withTransaction { sql -> APIToken? in
            guard let row = try await Self.select(sql).where("token_hash", .equal, digest).first() else { return nil }
            let token = try Self.token(row)
            guard token.isLive(at: Date(epochSeconds: seconds)) else { return nil }
            if let lastUse = token.lastUsedAt?.epochSeconds, seconds - lastUse < Self.lastUseResolution {
                return token
            }
            try await sql.update("api_tokens").set("last_used_at", to: seconds).where("id", .equal, token.id).run()
            return APIToken(
                id: token.id, user: token.user, roles: token.roles, description: token.description,
                createdAt: token.createdAt, expiresAt: token.expiresAt, lastUsedAt: Date(epochSeconds: seconds),
                revokedAt: token.revokedAt)
        }
    }

    /// Every token, revoked and expired ones included, newest first.
    public func list() async throws -> [APIToken] {
        try await database.withTransaction { sql in
            try await Self.select(sql).orderBy("id", .descending).all().map(Self.token)
        }
    }

    /// Marks it revoked; false when no such token or already revoked.
    public func revoke(_ id: Int, now: Date) async throws -> Bool {
        let seconds = now.epochSeconds
        return try await database.withTransaction { sql in
            try await !sql.update("api_tokens").set("revoked_at", to: seconds)
                .where("id", .equal, id).where("revoked_at", .is, SQLLiteral.null)
                .returning("id").all().isEmpty
        }
    }

    private static func select(_ sql: any SQLDatabase) -> SQLSelectBuilder {
        sql.select()
            .columns(
                "id", "user_name", "roles", "description", "created_at", "expires_at", "last_used_at", "revoked_at"
            )
            .from("api_tokens")
    }

    private static func token(_ row: any SQLRow) throws -> APIToken {
        let id = try row.decode(column: "id", as: Int.self)
        guard let roles = try? JSONValue(json: try row.decode(column: "roles", as: String.self)) else {
            throw StorageInvariantError("token \(id) has roles that are not JSON")
        }
        return APIToken(
            id: id,
            user: try row.decode(column: "user_name", as: String.self),
            roles: roles.elements.compactMap(\.string),
            description: try row.decode(column: "description", as: String.self),
            createdAt: Date(epochSeconds: try row.decode(column: "created_at", as: Int.self)),
            expiresAt: try row.decode(column: "expires_at", as: Int?.self).map(Date.init(epochSeconds:)),
            lastUsedAt: try row.decode(column: "last_used_at", as: Int?.self).map(Date.init(epochSeconds:)),
            revokedAt: try row.decode(column: "revoked_at", as: Int?.self).map(Date.init(epochSeconds:))
        )
    }

    /// The roles as the JSON array the `roles` column holds.
    static func rolesText(_ roles: [String]) -> String {
        JSONValue.array(roles.map(JSONValue.string)).jsonText
    }
}

extension Database {
    /// The API tokens connector of this database.
    public var tokens: TokensConnector { TokensConnector(database: self) }
}
