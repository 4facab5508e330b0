import Foundation
import GantryModel
import GantryTesting

#if canImport(Glibc)
    import Glibc
#endif

/// A real SMTP server for the mail reporter's tests: Python's aiosmtpd, from the environment whose Python
/// `GANTRY_TEST_PLAYWRIGHT_PYTHON` names (CI installs aiosmtpd there), run as a child process on a loopback port
/// from a script the test writes.
///
/// It requires STARTTLS (`startTLS`, `startTLSLoginOnly`), speaks TLS from the first byte (`tls`), or neither
/// (`plain`), with a certificate of ``TestCertificates``; requires a login as ``user`` with ``password`` except when
/// plain; answers a recipient `later@…` with a 451, as a greylisting server does; and writes each mail it takes to
/// a file, what it saw of the connection included, which ``received()`` reads.
final class SMTPTestServer {
    enum Mode: String {
        case startTLS = "starttls"
        /// STARTTLS, and a login by LOGIN only (PLAIN not offered).
        case startTLSLoginOnly = "starttls-login"
        case tls
        case plain
    }

    /// One mail as the server took it.
    struct Received {
        var from: String
        var to: [String]
        /// Whether the mail came over TLS.
        var overTLS: Bool
        /// The mechanism of the login, and whether the login came over TLS; nil without a login.
        var login: (mechanism: String, overTLS: Bool)?
        /// The headers as a mail reader decodes them (an encoded subject decoded, folded lines unfolded).
        var headers: [String: String]
        /// The text as a mail reader decodes it, with LF line ends.
        var text: String
    }

    /// The Python of an environment with aiosmtpd; the tests that need the server are skipped without it.
    static var python: String? {
        ProcessInfo.processInfo.environment["GANTRY_TEST_PLAYWRIGHT_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
    }

    static let user = "gantry"
    static let password = "smtp-pa55word"

    let port: Int
    let certificates: TestCertificates
    private let directory: URL
    private let process: Process
    private let exited: AsyncStream<Int32>

    private var mail: URL { directory.appendingPathComponent("mail") }
    private var log: URL { directory.appendingPathComponent("server.log") }

    private init(_ mode: Mode, directory: URL) async throws {
        guard let python = Self.python else { throw CocoaError(.executableNotLoadable) }
        self.directory = directory
        certificates = try await TestCertificates.make(in: directory.appendingPathComponent("pki"))
        port = try freeLocalPort()
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("mail"), withIntermediateDirectories: true)
        let script = directory.appendingPathComponent("smtp_server.py")
        try Self.script.write(to: script, atomically: true, encoding: .utf8)
        let log = directory.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let output = try FileHandle(forWritingTo: log)
        process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [
            script.path, mode.rawValue, "\(port)", directory.appendingPathComponent("mail").path,
            certificates.serverCertificate, certificates.serverKey, Self.user, Self.password,
        ]
        process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        process.standardOutput = output
        process.standardError = output
        exited = try process.start()
    }

    /// A server its test no longer holds is killed, so a test that ends early leaves no process behind.
    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Runs `body` with a server in `mode`, listening; the server is stopped and its files removed on every
    /// path out.
    static func with<T>(_ mode: Mode, _ body: (SMTPTestServer) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gantry-smtp-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await SMTPTestServer(mode, directory: directory)
        do {
            try await server.waitUntilListening()
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// The settings of a mail reporter that sends to this server, trusting its CA, logging in as ``user`` with
    /// the password in the secret `smtp-password`.
    func settings(_ security: SMTPSettings.Security) -> SMTPSettings {
        SMTPSettings(
            host: "127.0.0.1", port: port, security: security, user: Self.user, passwordSecret: "smtp-password",
            caFile: certificates.ca)
    }

    /// The mails taken so far, in the order they came.
    func received() throws -> [Received] {
        let names = try FileManager.default.contentsOfDirectory(atPath: mail.path).filter { $0.hasSuffix(".json") }
        return try names.sorted { (Int($0.dropLast(5)) ?? 0) < (Int($1.dropLast(5)) ?? 0) }.map { name in
            try Received(JSONValue(json: String(contentsOf: mail.appendingPathComponent(name), encoding: .utf8)))
        }
    }

    private func waitUntilListening() async throws {
        let ready = mail.appendingPathComponent("ready").path
        _ = await waitUntil { FileManager.default.fileExists(atPath: ready) || !process.isRunning }
        guard FileManager.default.fileExists(atPath: ready) else {
            throw SMTPTestServerError(log: (try? String(contentsOf: log, encoding: .utf8)) ?? "")
        }
    }

    private func stop() async {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        var iterator = exited.makeAsyncIterator()
        _ = await iterator.next()
    }

    /// The server: aiosmtpd's SMTP class with an authenticator and a handler that writes each mail, parsed by
    /// Python's own mail parser, as JSON (whole, then renamed, so a reader never sees half a file).
    private static let script = #"""
        import asyncio, json, os, ssl, sys
        from email import policy
        from email.parser import BytesParser
        from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

        mode, port, directory, certificate, key, user, password = sys.argv[1:8]
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certificate, key)
        received = 0

        def write(name, data):
            path = os.path.join(directory, name)
            with open(path + ".part", "wb") as file:
                file.write(data)
            os.rename(path + ".part", path)

        def over_tls(server):
            return server.transport.get_extra_info("ssl_object") is not None

        def authenticator(server, conversation, envelope, mechanism, data):
            valid = (isinstance(data, LoginPassword) and data.login == user.encode()
                     and data.password == password.encode())
            login = {"mechanism": mechanism, "tls": over_tls(server)} if valid else None
            return AuthResult(success=valid, handled=False, auth_data=login)

        class Handler:
            async def handle_RCPT(self, server, conversation, envelope, address, options):
                if address.startswith("later@"):
                    return "451 4.7.1 Greylisted, try again later"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, conversation, envelope):
                global received
                received += 1
                message = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
                write("%d.json" % received, json.dumps({
                    "from": envelope.mail_from, "to": envelope.rcpt_tos, "tls": over_tls(server),
                    "login": conversation.auth_data,
                    "headers": {name: str(value) for name, value in message.items()},
                    "text": message.get_content(),
                }).encode())
                return "250 2.0.0 Accepted"

        async def main():
            loop = asyncio.get_running_loop()
            starttls = mode.startswith("starttls")
            def connection():
                return SMTP(Handler(), loop=loop, hostname="fake-smtp.test", authenticator=authenticator,
                            tls_context=context if starttls else None, require_starttls=starttls,
                            auth_required=mode != "plain", auth_require_tls=starttls,
                            auth_exclude_mechanism=["PLAIN"] if mode == "starttls-login" else None)
            server = await loop.create_server(
                connection, "127.0.0.1", int(port), ssl=context if mode == "tls" else None)
            write("ready", b"")
            await server.serve_forever()

        asyncio.run(main())
        """#
}

extension SMTPTestServer.Received {
    init(_ json: JSONValue) {
        from = json["from"]?.string ?? ""
        to = json["to"]?.elements.compactMap(\.string) ?? []
        overTLS = json["tls"] == .bool(true)
        login = json["login"]?["mechanism"]?.string.map {
            (mechanism: $0, overTLS: json["login"]?["tls"] == .bool(true))
        }
        if case .object(let fields)? = json["headers"] {
            headers = fields.compactMapValues(\.string)
        } else {
            headers = [:]
        }
        text = (json["text"]?.string ?? "").replacingOccurrences(of: "\r\n", with: "\n")
    }
}

/// The SMTP server did not start; what it printed says why (aiosmtpd missing from the environment, say).
struct SMTPTestServerError: Error, CustomStringConvertible {
    var log: String

    var description: String { "the SMTP server did not start:\n\(log)" }
}
