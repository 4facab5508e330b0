import Foundation
import GantryModel
import GantryTesting
import Testing

@testable import GantryStorage

@Suite("Authentication storage", .paced)
struct AuthStorageTests {
    private let start = Date(timeIntervalSince1970: 1_700_000_000)

    @Test("a token's secret is shown once and only its hash is stored", arguments: TestBackend.enabled)
    func tokenSecret(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let (token, secret) = try await db.tokens.create(
                user: "alice", roles: ["admin", "release"], description: "ci", expiresAt: nil, now: start)
            #expect(secret.hasPrefix("gtk_") && secret.count == 4 + 43)
            #expect(token.user == "alice" && token.roles == ["admin", "release"] && token.description == "ci")
            #expect(token.createdAt == start && token.expiresAt == nil && token.lastUsedAt == nil)
            let digest = SecretDigest.hash(secret)
            #expect(try await db.count("api_tokens", where: "token_hash = '\(digest)'") == 1)
            let leaked = "token_hash LIKE '%\(secret)%' OR description LIKE '%\(secret)%' OR roles LIKE '%\(secret)%'"
            #expect(try await db.count("api_tokens", where: leaked) == 0)

            let other = try await db.tokens.create(
                user: "alice", roles: [], description: "", expiresAt: nil, now: start)
            #expect(other.secret != secret && other.token.id != token.id)
        }
    }

    @Test("a token is accepted until it expires; a wrong secret never", arguments: TestBackend.enabled)
    func tokenExpiry(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let expiry = start.addingTimeInterval(3600)
            let (token, secret) = try await db.tokens.create(
                user: "bob", roles: ["developer"], description: "", expiresAt: expiry, now: start)
            #expect(token.expiresAt == expiry)

            let accepted = try #require(try await db.tokens.authenticate(secret, now: start.addingTimeInterval(10)))
            #expect(accepted.id == token.id && accepted.user == "bob" && accepted.roles == ["developer"])
            #expect(accepted.lastUsedAt == start.addingTimeInterval(10))

            #expect(try await db.tokens.authenticate(secret + "x", now: start) == nil, "a wrong secret")
            #expect(try await db.tokens.authenticate("gtk_", now: start) == nil)
            #expect(try await db.tokens.authenticate("", now: start) == nil)
            #expect(try await db.tokens.authenticate(SecretDigest.hash(secret), now: start) == nil, "the hash")
            #expect(try await db.tokens.authenticate(secret, now: expiry.addingTimeInterval(-1)) != nil)
            #expect(try await db.tokens.authenticate(secret, now: expiry) == nil, "expired")
            #expect(try await db.tokens.authenticate(secret, now: expiry.addingTimeInterval(86_400)) == nil)
        }
    }

    @Test("a token's last use is written at most once a minute", arguments: TestBackend.enabled)
    func tokenLastUse(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let (_, secret) = try await db.tokens.create(
                user: "carol", roles: [], description: "", expiresAt: nil, now: start)
            let first = try await db.tokens.authenticate(secret, now: start.addingTimeInterval(5))
            #expect(first?.lastUsedAt == start.addingTimeInterval(5))
            let soon = try await db.tokens.authenticate(secret, now: start.addingTimeInterval(64))
            #expect(soon?.lastUsedAt == start.addingTimeInterval(5), "under a minute later: not written")
            #expect(try await db.tokens.list().first?.lastUsedAt == start.addingTimeInterval(5))
            let later = try await db.tokens.authenticate(secret, now: start.addingTimeInterval(65))
            #expect(later?.lastUsedAt == start.addingTimeInterval(65))
            #expect(try await db.tokens.list().first?.lastUsedAt == start.addingTimeInterval(65))
        }
    }

    @Test("a revoked token is refused; revoking twice or an unknown id is false", arguments: TestBackend.enabled)
    func tokenRevoke(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let (first, firstSecret) = try await db.tokens.create(
                user: "alice", roles: ["admin"], description: "old", expiresAt: nil, now: start)
            let (second, secondSecret) = try await db.tokens.create(
                user: "bob", roles: ["developer"], description: "new", expiresAt: nil, now: start.addingTimeInterval(1))

            #expect(try await db.tokens.revoke(first.id, now: start.addingTimeInterval(30)))
            #expect(try await db.tokens.revoke(first.id, now: start.addingTimeInterval(40)) == false)
            #expect(try await db.tokens.revoke(second.id + 100, now: start) == false)
            #expect(try await db.tokens.authenticate(firstSecret, now: start.addingTimeInterval(31)) == nil)
            #expect(try await db.tokens.authenticate(secondSecret, now: start.addingTimeInterval(31))?.id == second.id)

            let listed = try await db.tokens.list()
            #expect(listed.map(\.id) == [second.id, first.id], "newest first")
            #expect(listed.last?.revokedAt == start.addingTimeInterval(30), "the first revocation's time")
            #expect(listed.first?.revokedAt == nil && listed.first?.description == "new")
        }
    }

    @Test("a session slides when less than half its lifetime remains, and ends", arguments: TestBackend.enabled)
    func sessionSliding(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let lifetime = Duration.seconds(3600)
            let (session, secret) = try await db.webSessions.create(
                user: "alice", credential: "c1", lifetime: lifetime, address: "10.0.0.7", now: start)
            #expect(secret.hasPrefix("gss_") && secret.count == 4 + 43)
            #expect(session.expiresAt == start.addingTimeInterval(3600))
            #expect(session.credential == "c1" && session.address == "10.0.0.7")
            #expect(try await db.count("web_sessions", where: "session_hash = '\(SecretDigest.hash(secret))'") == 1)
            #expect(try await db.count("web_sessions", where: "session_hash = '\(secret)'") == 0)

            // More than half remains: no write.
            let early = try #require(
                try await db.webSessions.authenticate(secret, lifetime: lifetime, now: start.addingTimeInterval(1000)))
            #expect(early.expiresAt == start.addingTimeInterval(3600))
            #expect(early.user == "alice" && early.credential == "c1" && early.createdAt == start)

            // Less than half remains: a lifetime from now.
            let late = try await db.webSessions.authenticate(
                secret, lifetime: lifetime, now: start.addingTimeInterval(2000))
            #expect(late?.expiresAt == start.addingTimeInterval(5600))
            let again = try await db.webSessions.authenticate(
                secret, lifetime: lifetime, now: start.addingTimeInterval(3000))
            #expect(again?.expiresAt == start.addingTimeInterval(5600), "kept when the slide was recent")

            #expect(
                try await db.webSessions.authenticate(secret, lifetime: lifetime, now: start.addingTimeInterval(5600))
                    == nil, "expired")
            #expect(try await db.webSessions.authenticate(secret + "x", lifetime: lifetime, now: start) == nil)
            #expect(try await db.webSessions.authenticate("gtk_x", lifetime: lifetime, now: start) == nil)
        }
    }

    @Test("logout deletes the session; expired sessions are deleted", arguments: TestBackend.enabled)
    func sessionRevokeAndExpiry(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            #expect(try await db.webSessions.deleteExpired(now: start) == 0, "none yet")
            let (_, short) = try await db.webSessions.create(
                user: "a", credential: "", lifetime: .seconds(60), address: nil, now: start)
            let (_, long) = try await db.webSessions.create(
                user: "b", credential: "", lifetime: .seconds(3600), address: nil, now: start)
            let (_, leaving) = try await db.webSessions.create(
                user: "c", credential: "", lifetime: .seconds(3600), address: nil, now: start)

            #expect(try await db.webSessions.revoke(secret: leaving))
            #expect(try await db.webSessions.revoke(secret: leaving) == false, "already gone")
            #expect(try await db.webSessions.revoke(secret: "gss_unknown") == false)
            #expect(try await db.webSessions.authenticate(leaving, lifetime: .seconds(3600), now: start) == nil)

            #expect(try await db.webSessions.deleteExpired(now: start.addingTimeInterval(59)) == 0)
            #expect(try await db.webSessions.deleteExpired(now: start.addingTimeInterval(60)) == 1)
            #expect(try await db.count("web_sessions") == 1)
            #expect(try await db.webSessions.authenticate(short, lifetime: .seconds(60), now: start) == nil)
            #expect(try await db.webSessions.authenticate(long, lifetime: .seconds(3600), now: start)?.user == "b")
        }
    }

    @Test(
        "a session opened through one master is accepted by another on the same store",
        arguments: TestBackend.enabled)
    func sessionAcrossMasters(_ backend: TestBackend) async throws {
        try await withSharedTestDatabase(backend) { first, second in
            let (session, secret) = try await first.webSessions.create(
                user: "alice", credential: "c2", lifetime: .seconds(3600), address: "127.0.0.1", now: start)
            let seen = try await second.webSessions.authenticate(secret, lifetime: .seconds(3600), now: start)
            #expect(seen == session)
            let (_, token) = try await second.tokens.create(
                user: "bot", roles: ["developer"], description: "", expiresAt: nil, now: start)
            #expect(try await first.tokens.authenticate(token, now: start)?.user == "bot")
            #expect(try await second.webSessions.revoke(secret: secret))
            #expect(try await first.webSessions.authenticate(secret, lifetime: .seconds(3600), now: start) == nil)
        }
    }

    @Test("the audit log reads newest first, by target, in pages", arguments: TestBackend.enabled)
    func audit(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            #expect(try await db.audit.entries(limit: 10).isEmpty)
            for index in 0..<5 {
                try await db.audit.record(
                    user: index == 0 ? nil : "alice", source: index == 0 ? "anonymous" : "session",
                    action: index.isMultiple(of: 2) ? "stop" : "force",
                    target: index.isMultiple(of: 2) ? "build 12" : "builder linux",
                    address: index == 4 ? nil : "10.0.0.\(index)", outcome: index == 0 ? "unauthenticated" : "allowed",
                    detail: index == 2 ? "wrong branch" : nil, at: start.addingTimeInterval(Double(index)))
            }
            let all = try await db.audit.entries(limit: 10)
            #expect(all.count == 5)
            #expect(all.map(\.at) == (0..<5).reversed().map { start.addingTimeInterval(Double($0)) })
            let oldest = try #require(all.last)
            #expect(oldest.user == nil && oldest.source == "anonymous" && oldest.outcome == "unauthenticated")
            #expect(oldest.action == "stop" && oldest.target == "build 12" && oldest.address == "10.0.0.0")
            #expect(all.first?.address == nil && all[2].detail == "wrong branch")

            let builds = try await db.audit.entries(target: "build 12", limit: 10)
            #expect(builds.map(\.id) == [all[0].id, all[2].id, all[4].id])
            #expect(try await db.audit.entries(target: "build 1", limit: 10).isEmpty, "exact, not a prefix")

            let page = try await db.audit.entries(limit: 2)
            #expect(page.map(\.id) == [all[0].id, all[1].id])
            let next = try await db.audit.entries(before: page.last?.id, limit: 2)
            #expect(next.map(\.id) == [all[2].id, all[3].id])
            let filtered = try await db.audit.entries(target: "build 12", before: all[0].id, limit: 1)
            #expect(filtered.map(\.id) == [all[2].id])
            #expect(try await db.audit.entries(limit: 0).count == 1, "held within 1...1000")

            #expect(try await db.audit.deleteOlder(than: start.addingTimeInterval(2)) == 2)
            #expect(try await db.audit.entries(limit: 10).map(\.id) == Array(all.prefix(3).map(\.id)))
        }
    }

    @Test("secrets are 256 random bits in base64url; their digest is SHA-256 in hex")
    func secretDigest() {
        let secrets = (0..<100).map { _ in SecretDigest.make(prefix: "gtk_") }
        #expect(Set(secrets).count == 100)
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        #expect(secrets.allSatisfy { $0.hasPrefix("gtk_") && $0.count == 47 })
        #expect(secrets.allSatisfy { $0.dropFirst(4).allSatisfy { alphabet.contains($0) } })
        #expect(SecretDigest.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
