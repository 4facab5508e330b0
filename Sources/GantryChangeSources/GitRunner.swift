import Foundation
import GantryModel
import Subprocess

/// Runs git for a poller: never prompting, with the repository's credentials in the environment (never on the
/// command line), its output bounded, and killed with everything it started when it runs too long or the poll is
/// cancelled.
struct GitRunner: Sendable {
    /// The whole environment of every command: none of the master's own (its secrets, a stray `GIT_DIR`) but what
    /// git and ssh need to find their programs, configuration and network, with messages in English.
    let environment: [String: String]
    /// The repository's URL, whose password (if it has one) is masked in what git prints.
    let repourl: String
    /// How long one command may run.
    let timeout: Duration

    /// The most a command may print on standard output (a log of many commits) and standard error.
    static let outputLimit = 64 << 20
    static let errorLimit = 1 << 20
    /// How much of git's standard error an error message keeps: its end, where git says what failed.
    static let shownErrorLength = 1000
    /// The master's variables git gets: its programs and the user's configuration (git's and ssh's), an ssh agent,
    /// and the proxies and certificate authorities curl reads.
    static let passedVariables = [
        "PATH", "HOME", "SSH_AUTH_SOCK", "http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
        "no_proxy", "NO_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR",
    ]

    /// A runner for `settings`' repository, its secrets read now.
    /// - Parameter workdir: The poller's directory; an ssh key is written in its `ssh` directory, which only the
    ///   master's user may enter, and ssh keeps the hosts it has seen there.
    /// - Parameter inherited: The master's environment, of which git gets ``passedVariables``.
    /// - Throws: ``GitError/missingSecret(_:)`` when a credential's secret is not found.
    init(
        settings: GitPollerSettings, secrets: SecretStore, workdir: String, timeout: Duration = .seconds(600),
        inherited: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        var environment = inherited.filter { Self.passedVariables.contains($0.key) }
        environment["LANG"] = "C.UTF-8"
        environment["LC_ALL"] = "C.UTF-8"
        environment["GIT_TERMINAL_PROMPT"] = "0"
        switch settings.credentials {
        case nil:
            break
        case .https(let username, let passwordSecret)?:
            guard let password = secrets.value(passwordSecret) else { throw GitError.missingSecret(passwordSecret) }
            let basic = Data("\(username):\(password)".utf8).base64EncodedString()
            // Scoped to the repository's URL: a redirect to another host does not get the header.
            environment["GIT_CONFIG_COUNT"] = "1"
            environment["GIT_CONFIG_KEY_0"] = "http.\(settings.repourl).extraHeader"
            environment["GIT_CONFIG_VALUE_0"] = "Authorization: Basic \(basic)"
        case .ssh(let privateKeySecret)?:
            guard let key = secrets.value(privateKeySecret) else { throw GitError.missingSecret(privateKeySecret) }
            let directory = workdir + "/ssh"
            // OpenSSH refuses a key without its final newline, which the secret store strips.
            try Self.writePrivate(key.hasSuffix("\n") ? key : key + "\n", to: directory + "/key")
            environment["GIT_SSH_COMMAND"] = [
                "ssh", "-i", Self.shellQuoted(directory + "/key"), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=accept-new",
                "-o", "UserKnownHostsFile=" + Self.shellQuoted(directory + "/known_hosts"),
            ].joined(separator: " ")
        }
        self.environment = environment
        repourl = settings.repourl
        self.timeout = timeout
    }

    /// Runs `git command arguments`, in the repository `gitDir` when given, with `input` on its standard input.
    /// - Returns: What it printed on standard output.
    /// - Throws: ``GitError`` when git fails, runs too long, prints too much or cannot be started.
    func run(_ command: String, _ arguments: [String] = [], gitDir: String? = nil, input: String = "") async throws
        -> String
    {
        var options = PlatformOptions()
        // In a session of its own, so the kill on a timeout or a cancellation reaches every program git started
        // (ssh among them).
        options.createSession = true
        options.teardownSequence = [
            .send(signal: .terminate, toProcessGroup: true, allowedDurationToNextStep: .seconds(2))
        ]
        var variables: [Environment.Key: String] = [:]
        for (name, value) in environment { variables[Environment.Key(stringLiteral: name)] = value }
        let words = (gitDir.map { ["--git-dir=\($0)"] } ?? []) + [command] + arguments
        let configuration = Configuration(
            executable: .name("git"), arguments: Arguments(words), environment: .custom(variables),
            platformOptions: options)
        let bytes = Array(input.utf8)
        let finished = try await withThrowingTaskGroup(of: Finished?.self) { group in
            group.addTask {
                do {
                    let result = try await Subprocess.run(
                        configuration, input: .array(bytes), output: .bytes(limit: Self.outputLimit),
                        error: .bytes(limit: Self.errorLimit))
                    return Finished(
                        status: result.terminationStatus, output: result.standardOutput, error: result.standardError)
                } catch let error as SubprocessError where error.code == .outputLimitExceeded {
                    throw GitError.outputTooLarge(command: command)
                } catch let error as SubprocessError {
                    throw GitError.notRun(command: command, reason: "\(error)")
                }
            }
            group.addTask { [timeout] in
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let finished else { throw GitError.timedOut(command: command, after: timeout) }
        guard finished.status.isSuccess else {
            throw GitError.failed(command: command, status: "\(finished.status)", stderr: shown(finished.error))
        }
        return String(decoding: finished.output, as: UTF8.self)
    }

    /// What a command left when it ended.
    private struct Finished: Sendable {
        let status: TerminationStatus
        let output: [UInt8]
        let error: [UInt8]
    }

    /// The end of git's standard error, trimmed, with the URL's password masked.
    func shown(_ error: [UInt8]) -> String {
        var text = String(decoding: error, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let masked = Redaction.maskingURLPassword(repourl)
        if masked != repourl { text = text.replacingOccurrences(of: repourl, with: masked) }
        return String(text.suffix(Self.shownErrorLength))
    }

    /// Writes `text` to `path`, in a directory only this user may enter, readable by this user only (as ssh
    /// demands of a key).
    private static func writePrivate(_ text: String, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }

    /// `text` for a POSIX shell, as one word.
    static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
