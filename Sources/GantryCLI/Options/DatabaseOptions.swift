import ArgumentParser
import GantryCommandLine
import GantryModel
import GantryStorage
import Logging

/// The `--db` option every command that opens the database shares.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The database: sqlite:PATH, sqlite::memory: or postgres://USER:PASSWORD@HOST:PORT/DB.",
            valueName: "url"
        )
    )
    var db: String

    /// Opens the database, runs `body`, and turns any failure into one clear line for the user.
    ///
    /// - Parameter migrating: `true` for the one command that creates or upgrades the schema; every other command
    ///   refuses a schema that is not current.
    func withDatabase<T: Sendable>(migrating: Bool = false, _ body: (Database) async throws -> T) async throws -> T {
        try await Self.withDatabase(db, migrating: migrating, body)
    }

    /// ``withDatabase(migrating:_:)`` for a URL that comes from elsewhere (a configuration file).
    static func withDatabase<T: Sendable>(
        _ text: String,
        migrating: Bool,
        _ body: (Database) async throws -> T
    ) async throws -> T {
        do {
            let url = try DatabaseURL(parsing: text)
            return try await Database.withDatabase(url, logger: CommandLogging.logger) { database in
                if !migrating { try await Migrator(database).requireCurrent() }
                return try await body(database)
            }
        } catch {
            throw CommandFailure(DatabaseFailure.reason(error))
        }
    }
}
