import Foundation
import GantryModel
import GantryTesting
import Testing

@testable import GantryChangeSources

@Suite("GitPoller's git runner", .paced, .timeLimit(.minutes(1)))
struct GitRunnerTests {
    private let secrets = SecretStore(
        environmentPrefix: "S_",
        environment: ["S_password": "hunter2", "S_key": "-----BEGIN KEY-----\nabc\n-----END KEY-----"])

    private func withDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-git-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body(directory.path)
    }

    @Test("an https password reaches git as a header scoped to the repository, in the environment only")
    func https() throws {
        let settings = GitPollerSettings(
            repourl: "https://git.example.org/r.git", credentials: .https(username: "bot", passwordSecret: "password"))
        let git = try GitRunner(settings: settings, secrets: secrets, workdir: "/nonexistent")
        #expect(git.environment["GIT_TERMINAL_PROMPT"] == "0")
        #expect(git.environment["GIT_CONFIG_COUNT"] == "1")
        #expect(git.environment["GIT_CONFIG_KEY_0"] == "http.https://git.example.org/r.git.extraHeader")
        #expect(
            git.environment["GIT_CONFIG_VALUE_0"] == "Authorization: Basic "
                + Data("bot:hunter2".utf8).base64EncodedString())
    }

    @Test("an ssh key is written with its final newline, for this user only, and named in GIT_SSH_COMMAND")
    func ssh() async throws {
        try await withDirectory { workdir in
            let settings = GitPollerSettings(
                repourl: "git@git.example.org:r.git", credentials: .ssh(privateKeySecret: "key"))
            let git = try GitRunner(settings: settings, secrets: secrets, workdir: workdir)
            let key = workdir + "/ssh/key"
            #expect(try String(contentsOfFile: key, encoding: .utf8) == "-----BEGIN KEY-----\nabc\n-----END KEY-----\n")
            let attributes = try FileManager.default.attributesOfItem(atPath: key)
            #expect(attributes[.posixPermissions] as? Int == 0o600)
            let directory = try FileManager.default.attributesOfItem(atPath: workdir + "/ssh")
            #expect(directory[.posixPermissions] as? Int == 0o700)
            let command = try #require(git.environment["GIT_SSH_COMMAND"])
            #expect(command.hasPrefix("ssh -i '\(key)' -o IdentitiesOnly=yes -o BatchMode=yes"))
            #expect(command.contains("UserKnownHostsFile='\(workdir)/ssh/known_hosts'"))
        }
    }

    @Test("a missing secret is named")
    func missingSecret() {
        let settings = GitPollerSettings(
            repourl: "https://git.example.org/r.git", credentials: .https(username: "bot", passwordSecret: "absent"))
        #expect(throws: GitError.missingSecret("absent")) {
            try GitRunner(settings: settings, secrets: secrets, workdir: "/nonexistent")
        }
        #expect(GitError.missingSecret("absent").description == "secret 'absent' not found")
    }

    @Test("git gets a few of the master's variables, never its secrets, and speaks English")
    func environment() async throws {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let inherited = [
            "PATH": path, "HOME": "/nonexistent", "GANTRY_SECRET_token": "s3cret", "GIT_DIR": "/elsewhere",
            "LANG": "fr_FR.UTF-8",
        ]
        let git = try GitRunner(
            settings: GitPollerSettings(repourl: ""), secrets: secrets, workdir: "/nonexistent", inherited: inherited)
        let expected = [
            "PATH": path, "HOME": "/nonexistent", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "GIT_TERMINAL_PROMPT": "0",
        ]
        #expect(git.environment == expected)
        // What the programs git starts see (ssh among them): git's own variables, then these.
        let printed = try await git.run("-c", ["alias.environment=!env", "environment"])
        let lines = Set(printed.split(whereSeparator: \.isNewline))
        #expect(
            lines.isSuperset(of: ["LC_ALL=C.UTF-8", "LANG=C.UTF-8", "HOME=/nonexistent", "GIT_TERMINAL_PROMPT=0"]))
        #expect(!printed.contains("s3cret") && !printed.contains("/elsewhere") && !printed.contains("fr_FR"))
    }

    @Test("a command that prints too much fails with an error naming the limits")
    func outputTooLarge() async throws {
        let git = try GitRunner(
            settings: GitPollerSettings(repourl: ""), secrets: secrets, workdir: "/nonexistent",
            timeout: .seconds(30))
        let flood = "alias.flood=!head -c \(GitRunner.errorLimit + 1) /dev/zero >&2"
        await #expect(throws: GitError.outputTooLarge(command: "-c")) { try await git.run("-c", [flood, "flood"]) }
        #expect(
            GitError.outputTooLarge(command: "log").description
                == "git log printed more than the poller reads (64 MiB of output, 1 MiB of errors)")
    }

    @Test("a failure carries the end of git's error, the URL's password masked")
    func failure() async throws {
        let port = try freeLocalPort()
        let url = "http://bot:s3cret@127.0.0.1:\(port)/r.git"
        let git = try GitRunner(settings: GitPollerSettings(repourl: url), secrets: secrets, workdir: "/nonexistent")
        let error = await #expect(throws: GitError.self) { try await git.run("ls-remote", ["--", url]) }
        guard case .failed(let command, _, let stderr)? = error else {
            Issue.record("not a failure: \(String(describing: error))")
            return
        }
        #expect(command == "ls-remote" && stderr.contains("127.0.0.1") && !stderr.contains("s3cret"))
        #expect(
            git.shown(Array("fatal: cannot read '\(url)'\n".utf8))
                == "fatal: cannot read 'http://bot:****@127.0.0.1:\(port)/r.git'")
    }

    @Test("a command that runs too long is killed")
    func timeout() async throws {
        let git = try GitRunner(
            settings: GitPollerSettings(repourl: ""), secrets: secrets, workdir: "/nonexistent",
            timeout: .milliseconds(300))
        let port = try freeLocalPort()
        // A daemon never ends by itself; the call returns only once it has been killed.
        await #expect(throws: GitError.timedOut(command: "daemon", after: .milliseconds(300))) {
            let base = FileManager.default.temporaryDirectory.path
            return try await git.run("daemon", ["--listen=127.0.0.1", "--port=\(port)", "--base-path=\(base)"])
        }
    }
}
