import Foundation
import GantryModel
import GantryTesting
import Testing

extension ProcessTests {
    /// A real `gantry master` serving its worker port and its HTTP API over TLS, with certificates the `openssl`
    /// command makes for each test.
    @Suite(
        "TLS on a gantry master",
        .enabled(if: TestCertificates.openssl != nil, "no openssl command to make certificates with"),
        .timeLimit(.minutes(3))
    )
    struct TLSProcessTests {
        @Test(
            "buildbot-worker --use-tls and gantry worker --tls --ca each run a build through a TLS worker port",
            .enabled(if: BuildbotWorkerProcess.executable != nil, "GANTRY_TEST_BUILDBOT_WORKER is not set")
        )
        func workers() async throws {
            let directory = try Self.makeDirectory("gantry-tw")
            defer { try? FileManager.default.removeItem(at: directory) }
            let certs = try await TestCertificates.make(in: directory.appendingPathComponent("tls"))
            let master = try MasterProcess(
                name: "tmaster",
                config: """
                    name: tmaster
                    http: 127.0.0.1:0
                    workerPort:
                      address: "127.0.0.1:0"
                      tls: {certificate: tls/server.pem, key: tls/server.key}
                    workers: [{name: wk1, password: pass1}, {name: wk2, password: pass2}]
                    builders:
                      - {name: b1, workers: [wk1], steps: [{name: hello, shell: "echo hello from wk1"}]}
                      - {name: b2, workers: [wk2], steps: [{name: hello, shell: "echo hello from wk2"}]}
                    schedulers: [{name: force, type: force, builderNames: [b1, b2]}]
                    """,
                directory: directory)
            defer { master.send(SIGKILL) }
            let http = try #require(try await master.httpPort(), "\(master.logText)")
            let port = try #require(try await master.workerPort(), "\(master.logText)")
            // buildbot-worker checks the certificate against the host it was created with, trusting the CAs of
            // OpenSSL's default paths, which SSL_CERT_FILE replaces; the native worker, against the address.
            let buildbot = try await BuildbotWorkerProcess(
                name: "wk1", password: "pass1", masterPort: port, directory: directory, masterHost: "localhost",
                useTLS: true, environment: ["SSL_CERT_FILE": certs.ca])
            defer { Task { await buildbot.stop() } }
            let native = try NativeWorkerProcess(
                name: "wk2", password: "pass2", masterPort: port, directory: directory,
                arguments: ["--tls", "--ca", certs.ca])
            defer { native.send(SIGKILL) }
            let connected = await waitUntil { master.logText.components(separatedBy: "worker connected").count > 2 }
            #expect(connected, "\(master.logText)\n\(buildbot.log)\n\(native.logText)")

            let base = try #require(URL(string: "http://127.0.0.1:\(http)"))
            try await force(base)
            let built = try await waitUntil {
                try await httpGet(base, "/api/v2/buildrequests?complete=true")["meta", "total"] == .number(2)
            }
            #expect(built, "\(master.logText)")
            let builds = try await httpGet(base, "/api/v2/builds")
            #expect(builds["builds", 0, "results"] == .number(0) && builds["builds", 1, "results"] == .number(0))
        }

        @Test("with a client CA, a native worker presenting a certificate it issued connects; one without is refused")
        func clientCertificates() async throws {
            let directory = try Self.makeDirectory("gantry-tc")
            defer { try? FileManager.default.removeItem(at: directory) }
            let certs = try await TestCertificates.make(in: directory.appendingPathComponent("tls"))
            let master = try MasterProcess(
                name: "cmaster",
                config: """
                    name: cmaster
                    http: 127.0.0.1:0
                    workerPort:
                      address: "127.0.0.1:0"
                      tls: {certificate: tls/server.pem, key: tls/server.key, clientCA: tls/ca.pem}
                    workers: [{name: wk1, password: pass1}, {name: wk2, password: pass2}]
                    """,
                directory: directory)
            defer { master.send(SIGKILL) }
            let port = try #require(try await master.workerPort(), "\(master.logText)")
            let issued = try NativeWorkerProcess(
                name: "wk1", password: "pass1", masterPort: port, directory: directory,
                arguments: ["--tls", "--ca", certs.ca, "--cert", certs.clientCertificate, "--key", certs.clientKey])
            defer { issued.send(SIGKILL) }
            let without = try NativeWorkerProcess(
                name: "wk2", password: "pass2", masterPort: port, directory: directory,
                arguments: ["--tls", "--ca", certs.ca])
            defer { without.send(SIGKILL) }
            #expect(
                await waitUntil { master.logText.contains("worker connected") }, "\(master.logText)\n\(issued.logText)")
            #expect(await waitUntil { without.logText.contains("cannot connect to the master") }, "\(without.logText)")
            #expect(master.logText.components(separatedBy: "worker connected").count == 2, "only wk1")
        }

        @Test("the HTTP API over TLS answers clients trusting its CA; SIGHUP serves renewed files, not unusable ones")
        func httpAPI() async throws {
            let directory = try Self.makeDirectory("gantry-th")
            defer { try? FileManager.default.removeItem(at: directory) }
            let certs = try await TestCertificates.make(in: directory.appendingPathComponent("tls"))
            let renewed = try await TestCertificates.make(in: directory.appendingPathComponent("renewed"))
            let master = try MasterProcess(
                name: "hmaster",
                config: """
                    name: hmaster
                    http: {address: "127.0.0.1:0", tls: {certificate: tls/server.pem, key: tls/server.key}}
                    """,
                directory: directory)
            defer { master.send(SIGKILL) }
            let port = try #require(try await master.httpPort(), "\(master.logText)")

            let answer = try await tlsGet(port: port, "/api/v2/masters", trusting: certs.ca, in: directory)
            // An answer at all means the certificate passed: s_client gives up at once on one it refuses.
            #expect(answer.text.hasPrefix("HTTP/1.1 200"), "\(answer)")
            #expect(answer.text.contains("\"name\":\"hmaster\""), "\(answer)")
            let untrusted = try await tlsGet(port: port, "/api/v2/masters", trusting: renewed.ca, in: directory)
            #expect(untrusted.status != 0 && !untrusted.text.contains("HTTP/1.1"), "\(untrusted)")
            let plain = try #require(URL(string: "http://127.0.0.1:\(port)"))
            await #expect(throws: (any Error).self) { try await httpGetText(plain, "/api/v2/masters") }

            // Renewed files at the same paths are served from the next connection on.
            let files = [(renewed.serverCertificate, certs.serverCertificate), (renewed.serverKey, certs.serverKey)]
            for (from, to) in files {
                try FileManager.default.removeItem(atPath: to)
                try FileManager.default.copyItem(atPath: from, toPath: to)
            }
            master.send(SIGHUP)
            #expect(await waitUntil { master.logText.contains("TLS certificate reloaded") }, "\(master.logText)")
            let afterRenewal = try await tlsGet(port: port, "/api/v2/masters", trusting: renewed.ca, in: directory)
            #expect(afterRenewal.text.hasPrefix("HTTP/1.1 200"), "\(afterRenewal)")
            let formerCA = try await tlsGet(port: port, "/api/v2/masters", trusting: certs.ca, in: directory)
            #expect(formerCA.status != 0 && !formerCA.text.contains("HTTP/1.1"), "\(formerCA)")

            // A key that cannot be used is logged, and the certificate served stays.
            try "not a key\n".write(toFile: certs.serverKey, atomically: true, encoding: .utf8)
            master.send(SIGHUP)
            #expect(await waitUntil { master.logText.contains("TLS certificate not reloaded") }, "\(master.logText)")
            let afterFailure = try await tlsGet(port: port, "/api/v2/masters", trusting: renewed.ca, in: directory)
            #expect(afterFailure.text.hasPrefix("HTTP/1.1 200"), "\(afterFailure)")
        }

        @Test("a master whose TLS file cannot be read refuses to start, naming the setting and the file")
        func unusableFile() async throws {
            let directory = try Self.makeDirectory("gantry-tu")
            defer { try? FileManager.default.removeItem(at: directory) }
            let certs = try await TestCertificates.make(in: directory.appendingPathComponent("tls"))
            let master = try MasterProcess(
                name: "umaster",
                config: """
                    name: umaster
                    http: 127.0.0.1:0
                    workerPort:
                      address: "127.0.0.1:0"
                      tls: {certificate: tls/missing.pem, key: tls/server.key}
                    workers: [{name: wk1, password: pass1}]
                    """,
                directory: directory)
            defer { master.send(SIGKILL) }
            let status = await master.waitForExit()
            #expect(status != nil && status != 0)
            let missing = certs.directory.appendingPathComponent("missing.pem").path
            #expect(
                master.logText.contains("workerPort.tls: cannot read the TLS certificate '\(missing)'"),
                "\(master.logText)")
            #expect(!master.logText.contains("HTTP API listening"))
        }

        private static func makeDirectory(_ prefix: String) throws -> URL {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "\(prefix)-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            return directory
        }
    }
}

/// GETs `path` from the HTTP API at `127.0.0.1:port` with `openssl s_client`, which checks the certificate
/// against `ca` and the name `localhost`: its exit status (not 0 when the certificate is refused, and then no
/// request is sent), the answer it printed and its diagnostics. Files for its input and output go in `directory`.
private func tlsGet(port: Int, _ path: String, trusting ca: String, in directory: URL) async throws -> (
    status: Int32, text: String, errors: String
) {
    let id = UUID().uuidString
    let (request, output, errors) = (
        directory.appendingPathComponent("request-\(id)"), directory.appendingPathComponent("answer-\(id)"),
        directory.appendingPathComponent("errors-\(id)")
    )
    try "GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".write(
        to: request, atomically: true, encoding: .utf8)
    for file in [output, errors] { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
    let process = Process()
    // `timeout`: a server that never answered would otherwise hold the test until its time limit.
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
        "timeout", "20", TestCertificates.openssl ?? "openssl", "s_client", "-connect", "127.0.0.1:\(port)",
        "-servername", "localhost", "-verify_hostname", "localhost", "-verify_return_error", "-CAfile", ca, "-quiet",
    ]
    process.standardInput = try FileHandle(forReadingFrom: request)
    process.standardOutput = try FileHandle(forWritingTo: output)
    process.standardError = try FileHandle(forWritingTo: errors)
    let status = try await process.runUntilExit()
    return (
        status, (try? String(contentsOf: output, encoding: .utf8)) ?? "",
        (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
    )
}
