import ArgumentParser
import Foundation
import GantryCommandLine
import GantryConfig
import GantryModel
import GantryStorage

extension GantryCommand {
    /// `gantry tokens`: the API tokens scripts and the command line log in with, made and revoked in the database
    /// directly, so the first one can be made before anyone can log in.
    struct Tokens: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create, list or revoke API tokens (Authorization: Bearer) for scripts and the command line.",
            subcommands: [Create.self, List.self, Revoke.self],
            defaultSubcommand: List.self
        )
    }
}

extension GantryCommand.Tokens {
    /// `gantry tokens create`: a new token, whose secret is printed once.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token; its secret is printed once, on standard output.",
            discussion: """
                The token acts as --user with the roles given here, whatever the configuration gives that user; \
                without --role it may only view. Only a hash of the secret is stored: keep the secret, for \
                example in ~/.config/gantry/token (mode 600), or in GANTRY_TOKEN.
                """
        )

        @OptionGroup var database: DatabaseOptions
        @Option(help: "The user the token acts as: the audit log and the builds it forces name them.")
        var user: String
        @Option(name: .customLong("role"), help: "A role the token carries (repeatable).")
        var roles: [String] = []
        @Option(help: "How long the token lasts: a duration such as 90d or 12h, or 'never'.")
        var expires: String = "90d"
        @Option(name: .customLong("description"), help: "What the token is for.")
        var note: String = ""

        func validate() throws {
            // The same rules as the configuration's users and roles, so a token names what a rule can name.
            guard UserAccount.isValidName(user) else {
                throw ValidationError("--user must be a non-empty name without ':' or control characters")
            }
            for role in roles {
                guard Identifier.isValid(role) else {
                    throw ValidationError("--role must be a role name (\(Identifier.rule)), not '\(role)'")
                }
                // Rules grant `owner` to a build's owner; a token holding it as a role would match every owner
                // rule on every build.
                guard role != AccessRule.ownerRole else {
                    throw ValidationError(
                        "--role owner is not a role to give: rules use it for the owner of a build, and a token "
                            + "holding it would be everyone's owner")
                }
            }
            _ = try Self.lifetime(expires)
        }

        func run() async throws {
            let now = Date()
            let expiresAt = try Self.lifetime(expires).map { now.addingTimeInterval($0.timeInterval) }
            var unique: [String] = []
            for role in roles where !unique.contains(role) { unique.append(role) }
            let (token, secret) = try await database.withDatabase { db in
                try await db.tokens.create(user: user, roles: unique, description: note, expiresAt: expiresAt, now: now)
            }
            print(secret)
            let until = token.expiresAt.map { "until \($0.formatted(.iso8601))" } ?? "with no expiry"
            FileHandle.standardError.write(
                Data(
                    "token \(token.id) for \(token.user) created, \(until); the secret above is shown only once\n".utf8
                ))
        }

        /// The token's lifetime for `--expires`; `nil` for `never`.
        static func lifetime(_ text: String) throws -> Duration? {
            if text == "never" { return nil }
            // Tokens live for days: accepted here whether or not the configuration's durations have them.
            if text.hasSuffix("d"), let days = Int(text.dropLast()), (1...36_500).contains(days) {
                return .seconds(days * 86_400)
            }
            guard let duration = DurationText.parse(text), duration > .zero else {
                throw ValidationError("--expires must be a duration such as 90d or 12h, or 'never', not '\(text)'")
            }
            return duration
        }
    }

    /// `gantry tokens list`: every token, without its secret.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the tokens: whom they act as, with which roles, and whether they still work.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let tokens = try await database.withDatabase { db in try await db.tokens.list() }
            try output.print(tokens.map(Row.init), key: "tokens") {
                var table = TextTable(
                    "ID", "USER", "ROLES", "CREATED", "EXPIRES", "LAST USED", "REVOKED", "DESCRIPTION")
                for token in tokens {
                    table.append(
                        "\(token.id)",
                        token.user,
                        token.roles.isEmpty ? "-" : token.roles.joined(separator: ","),
                        token.createdAt.formatted(.iso8601),
                        token.expiresAt?.formatted(.iso8601) ?? "never",
                        token.lastUsedAt?.formatted(.iso8601) ?? "-",
                        token.revokedAt?.formatted(.iso8601) ?? "-",
                        token.description
                    )
                }
                return table
            }
        }

        /// A token in JSON: times in seconds since 1970, as the HTTP API writes them.
        private struct Row: Encodable {
            var tokenid: Int
            var user: String
            var roles: [String]
            var description: String
            var createdAt: Int
            var expiresAt: Int?
            var lastUsedAt: Int?
            var revokedAt: Int?

            enum CodingKeys: String, CodingKey {
                case tokenid, user, roles, description
                case createdAt = "created_at"
                case expiresAt = "expires_at"
                case lastUsedAt = "last_used_at"
                case revokedAt = "revoked_at"
            }

            init(_ token: APIToken) {
                tokenid = token.id
                user = token.user
                roles = token.roles
                description = token.description
                createdAt = Self.seconds(token.createdAt)
                expiresAt = token.expiresAt.map(Self.seconds)
                lastUsedAt = token.lastUsedAt.map(Self.seconds)
                revokedAt = token.revokedAt.map(Self.seconds)
            }

            /// Every key, `null` for a time a token does not have, so scripts need not test for its presence.
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(tokenid, forKey: .tokenid)
                try container.encode(user, forKey: .user)
                try container.encode(roles, forKey: .roles)
                try container.encode(description, forKey: .description)
                try container.encode(createdAt, forKey: .createdAt)
                try container.encode(expiresAt, forKey: .expiresAt)
                try container.encode(lastUsedAt, forKey: .lastUsedAt)
                try container.encode(revokedAt, forKey: .revokedAt)
            }

            private static func seconds(_ date: Date) -> Int {
                Int(date.timeIntervalSince1970.rounded(.down))
            }
        }
    }

    /// `gantry tokens revoke ID`: the token stops working at once, on every master.
    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a token: it stops working at once, on every master.")

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The token's id, as 'gantry tokens list' shows it.")
        var id: Int

        func run() async throws {
            let revoked = try await database.withDatabase { db in try await db.tokens.revoke(id, now: Date()) }
            guard revoked else { throw CommandFailure("there is no token \(id), or it was already revoked") }
            print("token \(id) revoked")
        }
    }
}
