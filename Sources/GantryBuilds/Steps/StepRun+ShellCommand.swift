import GantryModel
import GantryWire

extension StepRun {
    /// Runs a `shell` command (its texts rendered first) and returns the step result for its exit code.
    func shellCommand(_ command: ShellCommand) async throws -> BuildResult {
        Self.result(of: try await execute("shell", try await arguments(command)), decode: command.result(rc:))
    }

    /// SetPropertyFromCommand: the command's standard output, trimmed, becomes property `name`.
    func setPropertyFromCommand(_ command: ShellCommand, property name: String) async throws -> BuildResult {
        await log.keepStdout()
        let end = try await execute("shell", try await arguments(command))
        let stdout = await log.takeStdout()
        let result = Self.result(of: end, decode: command.result(rc:))
        if result == .success {
            let value = stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            try await properties.set(name, .string(value), source: "SetPropertyFromCommand Step")
            await log.append("property '\(name)' set\n", prefix: "h")
        }
        return result
    }

    /// The `shell` command's arguments: an absolute working directory under the builder's directory.
    func arguments(_ command: ShellCommand) async throws -> [MessagePackValue.MapEntry] {
        let rendered: MessagePackValue
        switch command.command {
        case .shell(let text): rendered = .string(try await render(text))
        case .argv(let words):
            var argv: [MessagePackValue] = []
            for word in words { argv.append(.string(try await render(word))) }
            rendered = .array(argv)
        }
        var env: [MessagePackValue.MapEntry] = []
        for (name, value) in command.env.sorted(by: { $0.key < $1.key }) {
            env.append(.init(.string(name), .string(try await render(value))))
        }
        var fields: [MessagePackValue.MapEntry] = [
            .init("workdir", .string(workerPath(try await render(command.workdir)))),
            .init("command", rendered), .init("env", .map(env)),
            .init("want_stdout", true), .init("want_stderr", true), .init("usePTY", false),
            .init("logEnviron", true),
        ]
        if let timeout = command.timeout { fields.append(.init("timeout", .int(Int64(timeout)))) }
        if let maxTime = command.maxTime { fields.append(.init("maxTime", .int(Int64(maxTime)))) }
        return fields
    }
}
