import Foundation
import GantryModel
import GantryTesting
import Testing

@testable import GantryStorage

/// They start `gantry` many times over, so they run with the other process suites, one at a time, rather than
/// beside the parallel tests.
extension ProcessTests {
    @Suite("gantry tokens, hash-password and the API token")
    struct TokenCommandTests {
        @Test("tokens create prints the secret once; list shows no secret; revoke stops it")
        func tokens() async throws {
            try await withScratchDirectory { directory in
                let url = "sqlite:\(directory)/gantry.sqlite"
                #expect(try await GantryProcess.run(["upgrade-master", "--db", url]).status == 0)
                let created = try await GantryProcess.run([
                    "tokens", "create", "--db", url, "--user", "alice", "--role", "admin", "--role", "release",
                    "--role", "admin", "--expires", "30d", "--description", "nightly jobs",
                ])
                #expect(created.status == 0, "\(created.standardError)")
                let secret = created.standardOutput.trimmingCharacters(in: .newlines)
                #expect(secret.hasPrefix("gtk_") && created.standardOutput == secret + "\n")
                #expect(created.standardError.contains("token 1 for alice created, until "))
                #expect(created.standardError.contains("shown only once"))

                let token = try await Database.withDatabase(DatabaseURL(parsing: url), logger: silentLogger) { db in
                    try await db.tokens.authenticate(secret, now: Date())
                }
                #expect(token?.user == "alice" && token?.roles == ["admin", "release"])
                #expect(token?.description == "nightly jobs")
                let days = (token?.expiresAt?.timeIntervalSinceNow ?? 0) / 86_400
                #expect(days > 29.9 && days <= 30)

                let forever = try await GantryProcess.run([
                    "tokens", "create", "--db", url, "--user", "bot", "--expires", "never",
                ])
                #expect(forever.status == 0, "\(forever.standardError)")
                #expect(forever.standardError.contains("with no expiry"))

                let table = try await GantryProcess.run(["tokens", "list", "--db", url])
                #expect(table.status == 0)
                let lines = table.standardOutput.split(separator: "\n").map {
                    $0.split(separator: " ").map(String.init)
                }
                #expect(
                    lines.first == [
                        "ID", "USER", "ROLES", "CREATED", "EXPIRES", "LAST", "USED", "REVOKED", "DESCRIPTION",
                    ])
                #expect(lines.count == 3)
                if lines.count == 3 {
                    #expect(lines[1].count == 7 && lines[1].prefix(3) == ["2", "bot", "-"])
                    #expect(lines[1].dropFirst(4) == ["never", "-", "-"])
                    #expect(lines[2].count == 9 && lines[2].prefix(3) == ["1", "alice", "admin,release"])
                    #expect(lines[2].dropFirst(5).first != "-", "its last use")
                    #expect(lines[2].dropFirst(6) == ["-", "nightly", "jobs"])
                }

                let json = try await GantryProcess.run(["tokens", "--db", url, "--json"])
                let listed = try JSONValue(json: json.standardOutput)
                #expect(listed["tokens"]?.elements.compactMap { $0["user"]?.string } == ["bot", "alice"])
                #expect(listed["tokens"]?.elements.last?["expires_at"]?.integer != nil)
                #expect(listed["tokens"]?.elements.first?["expires_at"] == .null)
                for output in [table.standardOutput, json.standardOutput] {
                    #expect(!output.contains(secret) && !output.contains(SecretDigest.hash(secret)))
                }

                let revoked = try await GantryProcess.run(["tokens", "revoke", "--db", url, "1"])
                #expect(revoked.status == 0 && revoked.standardOutput == "token 1 revoked\n")
                let again = try await GantryProcess.run(["tokens", "revoke", "--db", url, "1"])
                #expect(again.status != 0)
                #expect(again.standardError.contains("there is no token 1, or it was already revoked"))
                let refused = try await Database.withDatabase(DatabaseURL(parsing: url), logger: silentLogger) { db in
                    try await db.tokens.authenticate(secret, now: Date())
                }
                #expect(refused == nil)
            }
        }

        @Test(
            "tokens create refuses a malformed expiry, user or role",
            arguments: [
                (["--user", "alice", "--expires", "5x"], "--expires must be a duration such as 90d or 12h"),
                (["--user", "alice", "--expires", "0d"], "--expires must be"),
                (["--user", "a:b"], "--user must be a non-empty name"),
                (["--user", ""], "--user must be a non-empty name"),
                (["--user", "a\u{7}b"], "--user must be a non-empty name"),
                (["--user", "alice", "--role", "two words"], "--role must be a role name (1 to 50 characters"),
                (["--user", "alice", "--role", "admin", "--role", "9lives"], "not '9lives'"),
                (["--user", "alice", "--role", "a,b"], "not 'a,b'"),
                (["--user", "alice", "--role", ""], "--role must be a role name"),
                (["--user", "alice", "--role", "owner"], "--role owner is not a role to give"),
            ])
        func malformed(_ arguments: [String], _ expected: String) async throws {
            let outcome = try await GantryProcess.run(["tokens", "create", "--db", "sqlite::memory:"] + arguments)
            #expect(outcome.status == 64)
            #expect(outcome.standardError.contains(expected), "\(outcome.standardError)")
            #expect(outcome.standardOutput.isEmpty)
        }

        @Test("hash-password prints a bcrypt hash of the line on standard input")
        func hashPassword() async throws {
            let first = try await runGantry(["hash-password", "--cost", "4"], input: "correct horse battery\n")
            #expect(first.status == 0, "\(first.standardError)")
            let hash = first.standardOutput.trimmingCharacters(in: .newlines)
            #expect(hash.wholeMatch(of: #/\$2[aby]\$04\$[./A-Za-z0-9]{53}/#) != nil, "\(hash)")
            #expect(first.standardOutput == hash + "\n")
            let second = try await runGantry(["hash-password", "--cost", "4"], input: "correct horse battery\n")
            #expect(second.standardOutput != first.standardOutput, "a new salt each time")

            let empty = try await runGantry(["hash-password", "--cost", "4"], input: "")
            #expect(empty.status != 0 && empty.standardError.contains("no password on standard input"))
            let long = try await runGantry(["hash-password", "--cost", "4"], input: String(repeating: "x", count: 73))
            #expect(long.status != 0 && long.standardError.contains("longer than bcrypt's 72 bytes"))
            let cost = try await runGantry(["hash-password", "--cost", "3"], input: "pw\n")
            #expect(cost.status == 64)
        }

        @Test("a token file readable by others is refused, without showing the token")
        func openTokenFile() async throws {
            try await withScratchDirectory { directory in
                let file = "\(directory)/token"
                _ = FileManager.default.createFile(atPath: file, contents: Data("gtk_private\n".utf8))
                try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
                let outcome = try await GantryProcess.run(
                    ["pools", "--master", "http://127.0.0.1:1", "--token-file", file], environment: ["GANTRY_TOKEN": ""]
                )
                #expect(outcome.status != 0)
                #expect(outcome.standardError.contains("the token file \(file) is readable by others"))
                #expect(outcome.standardError.contains("chmod 600"))
                #expect(!outcome.standardError.contains("gtk_private"))

                let missing = try await GantryProcess.run(
                    ["pools", "--master", "http://127.0.0.1:1", "--token-file", file + ".none"],
                    environment: ["GANTRY_TOKEN": ""])
                #expect(missing.standardError.contains("cannot read the token file \(file).none"))
            }
        }

        @Test(
            "the token is sent from GANTRY_TOKEN, --token-file or the default file; 401 and 403 say what to do",
            .enabled(if: pythonForTests != nil))
        func refusals() async throws {
            try await withScratchDirectory { directory in
                try await withRefusingServer(directory) { master in
                    let pools = ["pools", "--master", master]
                    let nothing = ["GANTRY_TOKEN": "", "XDG_CONFIG_HOME": directory]
                    let anonymous = try await GantryProcess.run(pools, environment: nothing)
                    #expect(anonymous.status != 0)
                    #expect(
                        anonymous.standardError.contains("the master requires a token: set GANTRY_TOKEN, or write one"))
                    #expect(anonymous.standardError.contains("(log in first)"))

                    let wrong = try await GantryProcess.run(pools, environment: ["GANTRY_TOKEN": "gtk_bad"])
                    #expect(
                        wrong.standardError.contains(
                            "the master refused the token from GANTRY_TOKEN: the token is not valid"))
                    #expect(!wrong.standardError.contains("gtk_bad"))

                    let file = "\(directory)/gantry/token"
                    try FileManager.default.createDirectory(
                        atPath: "\(directory)/gantry", withIntermediateDirectories: true)
                    _ = FileManager.default.createFile(atPath: file, contents: Data("gtk_good\n".utf8))
                    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
                    for arguments in [pools + ["--token-file", file], pools] {
                        let forbidden = try await GantryProcess.run(arguments, environment: nothing)
                        #expect(forbidden.status != 0)
                        #expect(forbidden.standardError.contains("the token's roles do not allow this: no rule allows"))
                        #expect(!forbidden.standardError.contains("gtk_good"))
                    }
                }
            }
        }
    }
}

/// The Python of the buildbot-worker the tests use, when there is one.
private let pythonForTests: URL? = ProcessInfo.processInfo.environment["GANTRY_TEST_BUILDBOT_WORKER"].flatMap {
    $0.isEmpty ? nil : URL(fileURLWithPath: $0).deletingLastPathComponent().appendingPathComponent("python3")
}

/// A stand-in for a master with authentication: 403 to the token `gtk_good`, 401 to any other, and to no token.
/// It unblocks signals first: the test process's threads block them, and a child inherits the mask.
private let refusingServer = """
    import http.server, json, signal

    signal.pthread_sigmask(signal.SIG_SETMASK, [])

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            token = self.headers.get("Authorization")
            if token == "Bearer gtk_good":
                status, error = 403, "no rule allows this caller to view pools"
            elif token:
                status, error = 401, "the token is not valid: unknown, expired or revoked"
            else:
                status, error = 401, "log in first"
            body = json.dumps({"error": error}).encode()
            self.send_response(status)
            if status == 401:
                self.send_header("WWW-Authenticate", "Bearer")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()
    """

/// Runs `body` with the URL of ``refusingServer``, stopped afterwards.
private func withRefusingServer(_ directory: String, _ body: (String) async throws -> Void) async throws {
    let output = URL(fileURLWithPath: directory).appendingPathComponent("server.out")
    _ = FileManager.default.createFile(atPath: output.path, contents: nil)
    let process = Process()
    process.executableURL = pythonForTests
    process.arguments = ["-c", refusingServer]
    process.standardOutput = try FileHandle(forWritingTo: output)
    process.standardError = FileHandle.nullDevice
    let exited = try process.start()
    defer {
        if process.isRunning { process.terminate() }
    }
    var port = ""
    let listening = await waitUntil {
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        port = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.hasSuffix("\n")
    }
    #expect(listening, "the stand-in server did not start")
    if listening { try await body("http://127.0.0.1:\(port)") }
    process.terminate()
    for await _ in exited {}
}

/// Runs `gantry arguments...` with `input` on its standard input.
private func runGantry(
    _ arguments: [String], input: String
) async throws -> (status: Int32, standardOutput: String, standardError: String) {
    try await withScratchDirectory { directory in
        let files = ["stdin", "stdout", "stderr"].map { URL(fileURLWithPath: directory).appendingPathComponent($0) }
        _ = FileManager.default.createFile(atPath: files[0].path, contents: Data(input.utf8))
        for file in files.dropFirst() { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
        let process = Process()
        process.executableURL = GantryProcess.executable
        process.arguments = arguments
        process.standardInput = try FileHandle(forReadingFrom: files[0])
        process.standardOutput = try FileHandle(forWritingTo: files[1])
        process.standardError = try FileHandle(forWritingTo: files[2])
        let status = try await process.runUntilExit()
        return (
            status, try String(contentsOf: files[1], encoding: .utf8), try String(contentsOf: files[2], encoding: .utf8)
        )
    }
}

/// Runs `body` with a new empty directory, removed afterwards.
private func withScratchDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}
