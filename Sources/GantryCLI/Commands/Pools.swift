import ArgumentParser
import GantryModel

extension GantryCommand {
    /// `gantry pools`: a running master's pools.
    struct Pools: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "List a running master's worker pools: their workers by state, queue, start failures and the master managing each."
        )

        @OptionGroup var api: MasterAPIOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let pools = try await api.get("/api/v2/pools")["pools"]?.elements ?? []
            try output.print(pools, key: "pools") {
                var table = TextTable(
                    "POOL", "BUILDERS", "MAX", "STARTING", "IDLE", "BUSY", "QUEUED", "START FAILURES", "MASTER")
                for pool in pools {
                    let count = { (state: String) in Interpolation.text(pool["workers_by_state"]?[state] ?? 0) }
                    table.append(
                        pool["name"]?.string ?? "",
                        pool["builders"]?.elements.compactMap(\.string).joined(separator: ",") ?? "",
                        Interpolation.text(pool["max_workers"] ?? 0), count("starting"), count("idle"), count("busy"),
                        Interpolation.text(pool["queued"] ?? 0), Interpolation.text(pool["start_failures"] ?? 0),
                        pool["masterid"].flatMap { $0 == .null ? nil : Interpolation.text($0) } ?? "-")
                }
                return table
            }
        }
    }
}
