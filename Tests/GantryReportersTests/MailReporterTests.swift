import Foundation
import GantryModel
import GantryReporters
import GantryTesting
import Testing

@Suite(
    "Mail: the builds each mode mails, what the mail says, and sending it to a real SMTP server", .paced,
    .timeLimit(.minutes(1)))
struct MailReporterTests {
    typealias Fixtures = ReportFixtures
    /// The clock the mails are dated by: Friday, 15 January 2027, 08:00 UTC.
    static let date = Date(timeIntervalSince1970: 1_800_000_000)
    static let recipients = ["ops@example.com", "dev@example.com"]

    static func reporter(
        modes: Set<MailMode> = MailMode.defaults, smtp: SMTPSettings = SMTPSettings(host: "smtp.example.com"),
        to: [String] = recipients, secrets: [String: String] = [:]
    ) -> MailReporter {
        let settings = MailSettings(
            smtp: smtp, from: "ci@example.com", to: to, modes: modes, subjectPrefix: "[CI – nightly] ")
        return MailReporter(
            config: ReporterConfig(name: "mail", kind: .mail(settings)), settings: settings, links: Fixtures.links,
            secrets: Fixtures.secrets(secrets), clock: WallClock { date })
    }

    /// Build #12 finished with `results` after a build that ended with `previous`: its test step failed (a log
    /// whose long line of dots, once encoded, puts dots at the start of lines) and its upload step, which has
    /// no log, hit an exception.
    static func finished(_ results: BuildResult, after previous: BuildResult? = nil) -> ReportSubject {
        var subject = Fixtures.subject(.finished, results: results)
        subject.previousResults = previous
        subject.failingSteps = [
            ReportStep(
                number: 3, name: "test", results: .failure, stateString: "2 tests failed", logName: "stdio",
                logTail: "ok 1 - builds\nnot ok 2 - parses\n" + String(repeating: ".", count: 160) + "\n"),
            ReportStep(number: 5, name: "upload", results: .exception),
        ]
        return subject
    }

    @Test("each mode mails the finished builds Buildbot's mode does; a build that will be retried gets none")
    func modes() {
        let cases: [(Set<MailMode>, BuildResult, BuildResult?, Bool)] = [
            (MailMode.defaults, .success, nil, true),
            (MailMode.defaults, .warnings, nil, true),
            (MailMode.defaults, .failure, nil, true),
            (MailMode.defaults, .exception, nil, false),
            (MailMode.defaults, .cancelled, nil, false),
            ([.failing], .success, nil, false),
            ([.passing], .failure, nil, false),
            ([.problem], .failure, .success, true),
            ([.problem], .failure, .failure, false),
            ([.change], .success, .failure, true),
            ([.change], .success, .success, false),
            ([.change], .success, nil, false),
            ([.warnings], .failure, nil, true),
            ([.warnings], .success, nil, false),
            ([.exception], .exception, nil, true),
            ([.cancelled], .cancelled, nil, true),
            ([MailMode.all], .retry, .failure, false),
        ]
        for (modes, results, previous, mailed) in cases {
            let reports = Self.reporter(modes: modes).reports(for: Self.finished(results, after: previous))
            #expect(
                reports.count == (mailed ? 1 : 0),
                "\(modes.map(\.rawValue).sorted()): \(results.name) after \(previous?.name ?? "none")")
        }
    }

    @Test("a request, a start or a cancelled request is not mailed, whatever the modes")
    func onlyFinishedBuilds() {
        let reporter = Self.reporter(modes: [MailMode.all])
        for moment in [ReportSubject.Moment.requested, .started, .cancelled] {
            #expect(reporter.reports(for: Fixtures.subject(moment)).isEmpty, "\(moment)")
        }
    }

    @Test("the mail: its recipients, a subject like Buildbot's, and a text with the build and its failing steps")
    func mail() throws {
        let reports = Self.reporter().reports(for: Self.finished(.failure, after: .success))
        let report = try #require(reports.first)
        #expect(reports.count == 1)
        #expect(report.target == "mail:40")
        #expect(report.payload["to"] == ["ops@example.com", "dev@example.com"])
        #expect(report.payload["subject"] == "[CI – nightly] Build failed on linux #12")
        let text = """
            Gantry has detected a failed build on builder linux.
            Full details are available at:
                \(Fixtures.buildPage)

            Build:        linux #12
            Result:       failure (the previous build: success)
            Build state:  failed test
            Reason:       a push to main
            Worker:       w1
            Blamelist:    Ada <ada@example.com>

            Source stamps:
                https://github.com/acme/widget.git branch main revision \(Fixtures.sha)

            Failing steps:

            - 3 test (failure): 2 tests failed
              The last lines of stdio:
                ok 1 - builds
                not ok 2 - parses
                \(String(repeating: ".", count: 160))

            - 5 upload (exception)

            """
        #expect(report.payload["text"]?.string == text)
    }

    @Test("the subject says how each result ended")
    func subjects() {
        let expected: [(BuildResult, String)] = [
            (.success, "Build succeeded"), (.warnings, "Build had warnings"), (.failure, "Build failed"),
            (.exception, "Build ended in an exception"), (.cancelled, "Build cancelled"),
        ]
        for (results, headline) in expected {
            let reports = Self.reporter(modes: [MailMode.all]).reports(for: Self.finished(results, after: .skipped))
            #expect(
                reports.map { $0.payload["subject"]?.string } == ["[CI – nightly] \(headline) on linux #12"],
                "\(results.name)")
        }
    }

    @Test("a password secret the master lacks fails the mail at once, naming the secret")
    func missingSecret() async throws {
        let smtp = SMTPSettings(host: "smtp.example.com", user: "gantry", passwordSecret: "smtp-password")
        let reporter = Self.reporter(smtp: smtp)
        let report = try #require(reporter.reports(for: Self.finished(.failure)).first)
        #expect(
            await reporter.deliver(report.payload, deliveryID: 1) == .failed(reason: "secret 'smtp-password' not found")
        )
    }
}

extension MailReporterTests {
    /// One at a time: each starts a Python server and makes its certificates.
    @Suite(
        "Mail through a real SMTP server (aiosmtpd)", .paced, .serialized,
        .enabled(if: SMTPTestServer.python != nil, "GANTRY_TEST_PLAYWRIGHT_PYTHON (a Python with aiosmtpd) is not set"))
    struct ThroughSMTP {
        typealias Mail = MailReporterTests

        /// Mails build #12's failure (after `previous`) through `server`, secured by `security`, logging in with
        /// `password`; returns the mail's report and how sending it went.
        static func send(
            through server: SMTPTestServer, _ security: SMTPSettings.Security,
            password: String = SMTPTestServer.password, to: [String] = Mail.recipients,
            after previous: BuildResult? = nil, deliveryID: Int
        ) async throws -> (report: Report, outcome: DeliveryOutcome) {
            let reporter = Mail.reporter(smtp: server.settings(security), to: to, secrets: ["smtp-password": password])
            let report = try #require(reporter.reports(for: Mail.finished(.failure, after: previous)).first)
            return (report, await reporter.deliver(report.payload, deliveryID: deliveryID))
        }

        /// Mails build #12's failure through `server` as ``send(through:_:password:to:after:deliveryID:)`` does,
        /// expecting the server to take it; returns what the server received.
        static func received(
            through server: SMTPTestServer, _ security: SMTPSettings.Security, deliveryID: Int,
            sourceLocation: SourceLocation = #_sourceLocation
        ) async throws -> [SMTPTestServer.Received] {
            let (_, outcome) = try await send(through: server, security, deliveryID: deliveryID)
            #expect(outcome == .delivered(status: 250), sourceLocation: sourceLocation)
            return try server.received()
        }

        @Test(
            "a mail goes through STARTTLS and a login to a real SMTP server, its headers and text intact")
        func deliveredOverSTARTTLS() async throws {
            try await SMTPTestServer.with(.startTLS) { server in
                let (report, outcome) = try await Self.send(through: server, .startTLS, after: .success, deliveryID: 41)
                #expect(outcome == .delivered(status: 250))
                let received = try server.received()
                #expect(received.count == 1)
                let mail = try #require(received.first)
                #expect(mail.from == "ci@example.com")
                #expect(mail.to == ["ops@example.com", "dev@example.com"])
                #expect(mail.overTLS)
                #expect(mail.login?.mechanism == "PLAIN")
                #expect(mail.login?.overTLS == true)
                #expect(mail.headers["From"] == "ci@example.com")
                #expect(mail.headers["To"] == "ops@example.com, dev@example.com")
                #expect(mail.headers["Subject"] == "[CI – nightly] Build failed on linux #12")
                #expect(mail.headers["Date"] == "Fri, 15 Jan 2027 08:00:00 +0000")
                #expect(mail.headers["Message-ID"] == "<gantry-delivery-41@example.com>")
                #expect(mail.text == report.payload["text"]?.string)
            }
        }

        @Test("a wrong password is refused by the server: the mail fails at once, and the reason holds no password")
        func wrongPassword() async throws {
            try await SMTPTestServer.with(.startTLS) { server in
                let wrong = "not-the-pa55word"
                let (_, outcome) = try await Self.send(through: server, .startTLS, password: wrong, deliveryID: 1)
                guard case .failed(let reason) = outcome else {
                    Issue.record("not failed: \(outcome)")
                    return
                }
                #expect(reason.contains("refused AUTH: 535"))
                #expect(!reason.contains(wrong))
                #expect(try server.received().isEmpty)
            }
        }

        @Test("a server that offers only LOGIN gets the login by LOGIN")
        func loginMechanism() async throws {
            try await SMTPTestServer.with(.startTLSLoginOnly) { server in
                let received = try await Self.received(through: server, .startTLS, deliveryID: 5)
                #expect(received.map { $0.login?.mechanism } == ["LOGIN"])
                #expect(received.map { $0.login?.overTLS } == [true])
            }
        }

        @Test("TLS from the first byte (port 465's way) delivers too")
        func deliveredOverTLS() async throws {
            try await SMTPTestServer.with(.tls) { server in
                let received = try await Self.received(through: server, .tls, deliveryID: 2)
                #expect(received.map(\.overTLS) == [true])
                #expect(received.map { $0.login?.mechanism } == ["PLAIN"])
            }
        }

        @Test("a recipient the server defers (451) defers the whole mail: retried, and no one got it yet")
        func deferredRecipient() async throws {
            try await SMTPTestServer.with(.startTLS) { server in
                let (_, outcome) = try await Self.send(
                    through: server, .startTLS, to: ["ops@example.com", "later@example.com"], deliveryID: 3)
                let refusal = "refused RCPT TO:<later@example.com>: 451 4.7.1 Greylisted, try again later"
                #expect(outcome == .retry(reason: "127.0.0.1:\(server.port) \(refusal)"))
                #expect(try server.received().isEmpty)
            }
        }

        @Test("a server that does not offer STARTTLS gets no mail and no password when STARTTLS is required")
        func startTLSRequired() async throws {
            try await SMTPTestServer.with(.plain) { server in
                let (_, outcome) = try await Self.send(through: server, .startTLS, deliveryID: 4)
                let refusal = "does not offer STARTTLS, which the reporter's security requires"
                #expect(outcome == .failed(reason: "127.0.0.1:\(server.port) \(refusal)"))
                #expect(try server.received().isEmpty)
            }
        }
    }
}
