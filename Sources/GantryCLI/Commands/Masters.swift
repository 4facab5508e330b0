import ArgumentParser
import Foundation
import GantryModel
import GantryStorage

extension GantryCommand {
    /// `gantry masters`: the masters of the cluster.
    struct Masters: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the masters of the cluster.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let masters = try await database.withDatabase { db in try await db.masters.getMasters().items }
            try output.print(masters, key: "masters") {
                var table = TextTable("ID", "NAME", "ACTIVE", "LAST ACTIVE")
                for master in masters {
                    table.append(
                        "\(master.id)",
                        master.name,
                        master.active ? "yes" : "no",
                        master.lastActive.formatted(.iso8601)
                    )
                }
                return table
            }
        }
    }
}
