public import GantryWire

/// One `[key, value]` entry of a command's `update`: `stdout`, `stderr`, `header` (line triples), `rc`,
/// `elapsed`, `files`, `stat`, `log`, `failure_reason`, or any other key a worker sends.
public struct RemoteUpdate: Sendable, Hashable {
    public var key: String
    public var value: MessagePackValue

    public init(key: String, value: MessagePackValue) {
        self.key = key
        self.value = value
    }

    /// The text of a `stdout`, `stderr` or `header` line triple (or of a plain string).
    public var text: String? {
        value.stringValue ?? value.arrayValue?.first?.stringValue
    }
}

/// How a remote command ended.
public struct RemoteCommandOutcome: Sendable, Hashable {
    /// The last `rc` reported, if any.
    public var rc: Int?
    /// The text of a `complete` that carried one: the command raised inside the worker.
    public var failure: String?

    /// Ran and exited 0.
    public var succeeded: Bool { failure == nil && rc == 0 }
}

/// What a running command hears from the worker, in order.
enum CommandEvent: Sendable {
    case update([RemoteUpdate])
    case complete(failure: String?)
}
