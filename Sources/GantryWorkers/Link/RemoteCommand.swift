public import GantryModel
import GantryWire

/// A remote command a build step runs on a worker, named as Buildbot names it. Each encodes itself as the
/// `command_name` and `args` of `start_command`, with every key buildbot-worker requires (`nil` where unset).
public enum RemoteCommand: Sendable, Hashable {
    /// `shell`: runs a command line.
    case shell(Shell)
    /// `upload_file`: the worker sends the file at `path`, at most `maxsize` bytes, to the command's
    /// ``FileWriter``.
    case uploadFile(path: String, maxsize: Int?)
    /// `upload_directory`: the worker sends the directory at `path` as an uncompressed tar stream, at most
    /// `maxsize` bytes, to the command's ``DirectoryReceiver``.
    case uploadDirectory(path: String, maxsize: Int?)
    /// `download_file`: the worker reads the command's ``FileReader``, at most `maxsize` bytes, into the file at
    /// `path`, given permissions `mode`.
    case downloadFile(path: String, maxsize: Int?, mode: Int?)
    /// `rmdir`: removes each of `paths` and everything under it.
    case rmdir(paths: [String])
    /// `stat`: exits 0 when `path` exists.
    case stat(path: String)

    /// The arguments of `shell`. Both output streams are always wanted, and never a PTY (Buildbot's defaults).
    public struct Shell: Sendable, Hashable {
        /// An absolute directory on the worker.
        public var workdir: String
        /// A shell text or an argument vector, sent as a string or an array.
        public var command: ShellCommand.Command
        /// Variables added to the worker's environment.
        public var env: [String: String]
        /// Whether the log's header lists the command's environment.
        public var logEnviron: Bool
        /// Seconds without output before the worker kills the command.
        public var timeout: Int?
        /// Seconds in all before the worker kills the command.
        public var maxTime: Int?

        public init(
            workdir: String, command: ShellCommand.Command, env: [String: String] = [:], logEnviron: Bool = true,
            timeout: Int? = nil, maxTime: Int? = nil
        ) {
            self.workdir = workdir
            self.command = command
            self.env = env
            self.logEnviron = logEnviron
            self.timeout = timeout
            self.maxTime = maxTime
        }
    }
}

/// How a command goes on the wire: keys in a fixed order and integers as integers, so its frames stay the ones
/// buildbot-worker and the native worker are tested against.
extension RemoteCommand {
    /// Buildbot's transfer block size.
    static let blocksize: Int64 = 65_536

    /// The `command_name` workers know it by.
    var name: String {
        switch self {
        case .shell: "shell"
        case .uploadFile: "upload_file"
        case .uploadDirectory: "upload_directory"
        case .downloadFile: "download_file"
        case .rmdir: "rmdir"
        case .stat: "stat"
        }
    }

    /// The `args` map.
    var arguments: MessagePackValue {
        switch self {
        case .shell(let shell):
            return shell.arguments
        case .uploadFile(let path, let maxsize):
            return [
                "path": .string(path), "maxsize": Self.integer(maxsize), "blocksize": .int(Self.blocksize),
                "keepstamp": false,
            ]
        case .uploadDirectory(let path, let maxsize):
            return [
                "path": .string(path), "maxsize": Self.integer(maxsize), "blocksize": .int(Self.blocksize),
                "compress": nil,
            ]
        case .downloadFile(let path, let maxsize, let mode):
            return [
                "path": .string(path), "maxsize": Self.integer(maxsize), "blocksize": .int(Self.blocksize),
                "mode": Self.integer(mode),
            ]
        case .rmdir(let paths):
            return ["paths": .array(paths.map(MessagePackValue.string))]
        case .stat(let path):
            return ["path": .string(path)]
        }
    }

    private static func integer(_ value: Int?) -> MessagePackValue {
        value.map { .int(Int64($0)) } ?? .nil
    }
}

extension RemoteCommand.Shell {
    /// The `args` map; `env` sorted by name, `timeout` and `maxTime` only when set.
    var arguments: MessagePackValue {
        let command: MessagePackValue
        switch self.command {
        case .shell(let text): command = .string(text)
        case .argv(let words): command = .array(words.map(MessagePackValue.string))
        }
        let env = self.env.sorted { $0.key < $1.key }.map {
            MessagePackValue.MapEntry(.string($0.key), .string($0.value))
        }
        var fields: [MessagePackValue.MapEntry] = [
            .init("workdir", .string(workdir)), .init("command", command), .init("env", .map(env)),
            .init("want_stdout", true), .init("want_stderr", true), .init("usePTY", false),
            .init("logEnviron", .bool(logEnviron)),
        ]
        if let timeout { fields.append(.init("timeout", .int(Int64(timeout)))) }
        if let maxTime { fields.append(.init("maxTime", .int(Int64(maxTime)))) }
        return .map(fields)
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
