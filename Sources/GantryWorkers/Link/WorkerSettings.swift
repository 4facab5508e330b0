import GantryWire

/// How a worker buffers command output (`set_worker_settings`); Buildbot's values except the buffer timeout,
/// which is 1 s instead of 5 s so logs reach watchers sooner.
public struct WorkerSettings: Sendable, Hashable {
    public var newlinePattern = #"(\r\n|\r(?=.)|\033\[u|\033\[[0-9]+;[0-9]+[Hf]|\033\[2J|\x08+)"#
    public var maxLineLength = 4096
    public var bufferTimeout: Double = 1
    public var bufferSize = 65536

    public init() {}

    var value: MessagePackValue {
        [
            "newline_re": .string(newlinePattern),
            "max_line_length": .int(Int64(maxLineLength)),
            "buffer_timeout": bufferTimeout == bufferTimeout.rounded()
                ? .int(Int64(bufferTimeout)) : .double(bufferTimeout),
            "buffer_size": .int(Int64(bufferSize)),
        ]
    }
}
