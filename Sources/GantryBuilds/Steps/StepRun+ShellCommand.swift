import GantryModel
import GantryWorkers

extension StepRun {
    /// Runs a `shell` command (its texts rendered first) and returns the step result for its exit code.
    func shellCommand(_ command: ShellCommand) async throws -> BuildResult {
        Self.result(of: try await execute(.shell(try await rendered(command))), decode: command.result(rc:))
    }

    /// SetPropertyFromCommand: the command's standard output, trimmed, becomes property `name`.
    func setPropertyFromCommand(_ command: ShellCommand, property name: String) async throws -> BuildResult {
        await log.keepStdout()
        let end = try await execute(.shell(try await rendered(command)))
        let stdout = await log.takeStdout()
        let result = Self.result(of: end, decode: command.result(rc:))
        if result == .success {
            guard let stdout else { throw StdioLog.keptOutputTooLong }
            let value = stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            try await properties.set(name, .string(value), source: "SetPropertyFromCommand Step")
            await log.append("property '\(name)' set\n", prefix: "h")
        }
        return result
    }

    /// The `shell` command's arguments, rendered in order (command, `env` by name, `workdir`): an absolute working
    /// directory under the builder's directory.
    func rendered(_ command: ShellCommand) async throws -> RemoteCommand.Shell {
        let line: ShellCommand.Command
        switch command.command {
        case .shell(let text): line = .shell(try await render(text))
        case .argv(let words):
            var argv: [String] = []
            for word in words { argv.append(try await render(word)) }
            line = .argv(argv)
        }
        var env: [String: String] = [:]
        for (name, value) in command.env.sorted(by: { $0.key < $1.key }) { env[name] = try await render(value) }
        return RemoteCommand.Shell(
            workdir: workerPath(try await render(command.workdir)), command: line, env: env,
            timeout: command.timeout, maxTime: command.maxTime)
    }
}
