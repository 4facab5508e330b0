import ArgumentParser
import GantryCommandLine

/// `gantry-worker`: the native worker as an executable of its own. It links neither the master nor all of
/// Foundation, so it maps a fraction of the libraries `gantry worker` does; a master's local pools start it
/// when it lies beside `gantry`.
@main
struct GantryWorker: AsyncParsableCommand {
    static let configuration = WorkerCommand.described(as: "gantry-worker")

    @OptionGroup var options: WorkerOptions

    func run() async throws {
        try await options.run()
    }
}
