public import GantryWire

/// What a worker says about itself (`get_worker_info`): the files of its `info/` directory (`admin`, `host`,
/// `access_uri`), its operating system, environment, base directory and version.
public struct WorkerInfo: Sendable, Hashable {
    /// Every key as the worker sent it.
    public var values: [String: MessagePackValue]

    public init(_ value: MessagePackValue) {
        var values: [String: MessagePackValue] = [:]
        if case .map(let entries) = value {
            for entry in entries { if let key = entry.key.stringValue { values[key] = entry.value } }
        }
        self.values = values
    }

    public var basedir: String? { values["basedir"]?.stringValue }
    /// `posix` or `nt`: the path rules of the paths the master builds for this worker.
    public var system: String { values["system"]?.stringValue ?? "posix" }
    public var version: String? { values["version"]?.stringValue }
    public var commands: Set<String> {
        guard case .map(let entries)? = values["worker_commands"] else { return [] }
        return Set(entries.compactMap(\.key.stringValue))
    }
}
