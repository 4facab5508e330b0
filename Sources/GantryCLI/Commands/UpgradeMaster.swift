import ArgumentParser
import GantryStorage

extension GantryCommand {
    /// `gantry upgrade-master`: create or migrate the schema, then force housekeeping on every master's next start.
    struct UpgradeMaster: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "upgrade-master",
            abstract: "Create or upgrade the database schema.",
            discussion: """
                Applies every missing schema migration (a no-op when the schema is current), then marks every \
                master as active long ago, so that the next master to start expires them and cleans up what \
                they held.
                """
        )

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let (from, to) = try await database.withDatabase(migrating: true) { db in
                let versions = try await Migrator(db).migrate()
                try await db.masters.setAllMastersActiveLongTimeAgo()
                return versions
            }
            print(from == to ? "schema is current (version \(to))" : "schema upgraded from version \(from) to \(to)")
        }
    }
}
