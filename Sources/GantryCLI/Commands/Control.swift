import ArgumentParser
import GantryModel

/// One of Buildbot's control calls, as a subcommand of `gantry builds`, `buildrequests` or `workers`.
protocol ControlAction {
    /// The API collection: `builds`, `buildrequests`, `workers`.
    static var collection: String { get }
    /// The JSON-RPC method, also the subcommand's name.
    static var method: String { get }
    static var abstract: String { get }
    /// What the argument names.
    static var target: String { get }
    /// What to print for the call's result.
    static func done(_ result: JSONValue) -> String
}

/// `POST /api/v2/COLLECTION/TARGET` with `Action`'s method on a running master.
struct Control<Action: ControlAction>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: Action.method, abstract: Action.abstract)
    }

    @OptionGroup var api: MasterAPIOptions
    @Argument(help: ArgumentHelp(Action.target)) var target: String
    @Option(help: "Why; shown in the log or with the worker.") var reason: String?

    func run() async throws {
        print(Action.done(try await api.call("/api/v2/\(Action.collection)/\(target)", Action.method, reason: reason)))
    }
}

enum StopBuild: ControlAction {
    static let collection = "builds"
    static let method = "stop"
    static let abstract = "Stop a running build: the command in flight is interrupted, the build ends CANCELLED."
    static let target = "The build id."
    static func done(_ result: JSONValue) -> String { "stop requested" }
}

enum RebuildBuild: ControlAction {
    static let collection = "builds"
    static let method = "rebuild"
    static let abstract = "Build again: a new buildset with the build's source stamps and properties."
    static let target = "The build id."
    static func done(_ result: JSONValue) -> String {
        var requests: [JSONValue] = []
        if case .object(let object)? = result.elements.last { requests = Array(object.values) }
        return "buildset \(Interpolation.text(result.elements.first ?? .null)), build request "
            + requests.map(Interpolation.text).joined(separator: " ")
    }
}

enum CancelBuildRequest: ControlAction {
    static let collection = "buildrequests"
    static let method = "cancel"
    static let abstract = "Cancel a request: a waiting one ends CANCELLED at once, a building one is stopped."
    static let target = "The build request id."
    static func done(_ result: JSONValue) -> String { result.string ?? "cancelled" }
}

enum PauseWorker: ControlAction {
    static let collection = "workers"
    static let method = "pause"
    static let abstract = "Pause a worker: it takes no new builds (kept across restarts and reconnects)."
    static let target = "The worker's name or id."
    static func done(_ result: JSONValue) -> String { "paused" }
}

enum UnpauseWorker: ControlAction {
    static let collection = "workers"
    static let method = "unpause"
    static let abstract = "Unpause a worker (and end its quarantine)."
    static let target = "The worker's name or id."
    static func done(_ result: JSONValue) -> String { "unpaused" }
}

enum StopWorker: ControlAction {
    static let collection = "workers"
    static let method = "stop"
    static let abstract = "Shut a worker down gracefully, once its current builds are done."
    static let target = "The worker's name or id."
    static func done(_ result: JSONValue) -> String { "graceful shutdown requested" }
}

enum KillWorker: ControlAction {
    static let collection = "workers"
    static let method = "kill"
    static let abstract = "Shut a worker down now; its builds end RETRY and run again."
    static let target = "The worker's name or id."
    static func done(_ result: JSONValue) -> String { "kill requested" }
}

extension GantryCommand {
    /// `gantry builds stop|rebuild ID`.
    struct Builds: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop or rebuild a build through a running master.",
            subcommands: [Control<StopBuild>.self, Control<RebuildBuild>.self])
    }

    /// `gantry buildrequests cancel ID`.
    struct BuildRequests: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "buildrequests", abstract: "Cancel a build request through a running master.",
            subcommands: [Control<CancelBuildRequest>.self])
    }
}
