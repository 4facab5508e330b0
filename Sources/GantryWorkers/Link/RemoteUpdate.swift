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

    /// What the update adds to the command's log; `nil` for the keys that carry no output.
    public var output: RemoteOutput? {
        guard let text else { return nil }
        switch key {
        case "stdout": return .stdout(text)
        case "stderr": return .stderr(text)
        case "header": return .header(text)
        default: return nil
        }
    }
}

/// Output of a remote command, by the stream it came on; `header` is the worker's own account (the command
/// line, the environment, how it ended).
public enum RemoteOutput: Sendable, Hashable {
    case stdout(String)
    case stderr(String)
    case header(String)
}
