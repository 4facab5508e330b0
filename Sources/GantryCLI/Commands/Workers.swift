import ArgumentParser
import GantryModel
import GantryStorage

extension GantryCommand {
    /// `gantry workers`: list the workers (the default), or pause, unpause, stop or kill one.
    struct Workers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List workers, or control one through a running master.",
            subcommands: [
                List.self, Control<PauseWorker>.self, Control<UnpauseWorker>.self, Control<StopWorker>.self,
                Control<KillWorker>.self,
            ],
            defaultSubcommand: List.self
        )
    }
}

extension GantryCommand.Workers {
    /// `gantry workers list`: registered workers with where they are configured and connected.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List workers, with where they are configured and connected.",
            discussion: """
                With --master or --builder only workers configured there are listed, and their configured-on \
                pairs are limited to match; connections are limited by --master only.
                """
        )

        @OptionGroup var database: DatabaseOptions
        @Option(name: .customLong("master"), help: "Only workers configured on this master id.")
        var masterid: Int?
        @Option(name: .customLong("builder"), help: "Only workers configured for this builder id.")
        var builderid: Int?
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let workers = try await database.withDatabase { db in
                try await db.workers.getWorkers(masterid: masterid, builderid: builderid)
            }
            try output.print(workers, key: "workers") {
                var table = TextTable("ID", "NAME", "STATE", "CONFIGURED ON (builder@master)", "CONNECTED TO")
                for worker in workers {
                    table.append(
                        "\(worker.id)",
                        worker.name,
                        Self.state(worker),
                        worker.configuredOn.map { "\($0.builderID)@\($0.masterID)" }.joined(separator: " "),
                        worker.connectedTo.map(String.init).joined(separator: " ")
                    )
                }
                return table
            }
        }

        private static func state(_ worker: Worker) -> String {
            var flags: [String] = []
            if worker.paused { flags.append(worker.pauseReason.map { "paused (\($0))" } ?? "paused") }
            if worker.graceful { flags.append("graceful") }
            return flags.isEmpty ? "ready" : flags.joined(separator: ", ")
        }
    }
}
