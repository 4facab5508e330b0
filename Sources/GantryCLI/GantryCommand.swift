public import ArgumentParser
import GantryCommandLine

/// The `gantry` command: run and administer a Gantry build master.
public struct GantryCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "gantry",
        abstract: "A distributed build master.",
        subcommands: [
            MasterCommand.self, CheckConfig.self, Reconfig.self, UpgradeMaster.self, CleanupDB.self, Masters.self,
            Workers.self,
            Builds.self, BuildRequests.self, Logs.self, WorkerCommand.self, Pools.self,
            SendChange.self, Tokens.self, HashPassword.self,
        ]
    )

    public init() {}
}
