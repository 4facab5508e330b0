public import GantryModel

/// Mails the outcome of finished builds, as Buildbot's `MailNotifier`: the builds its modes select (`failing`,
/// `problem`, `change`, …), each mail with the build's page, reason, worker, blamelist and source stamps, and
/// every failing step with the tail of its log.
public struct MailReporter: Reporter {
    public let config: ReporterConfig
    /// A mail sent twice is two mails: one caught in flight by a master's death is marked interrupted, not sent
    /// again.
    public var isIdempotent: Bool { false }
    /// The mail lists the failing steps with their log tails, and the modes `problem` and `change` compare with
    /// the previous build.
    public var needsDetails: Bool { true }

    private let settings: MailSettings
    private let links: ReportLinks
    private let secrets: SecretStore
    private let clock: WallClock

    /// - Parameter clock: Dates each mail as it is sent.
    public init(
        config: ReporterConfig, settings: MailSettings, links: ReportLinks, secrets: SecretStore,
        clock: WallClock = .system
    ) {
        self.config = config
        self.settings = settings
        self.links = links
        self.secrets = secrets
        self.clock = clock
    }

    /// One mail for a finished build that a mode selects; none for any other moment, nor for a build that will
    /// be retried (its request is queued again, and the build that ends it gets the mail).
    public func reports(for subject: ReportSubject) -> [Report] {
        guard subject.moment == .finished, let build = subject.build, let results = build.results,
            results != .retry,
            settings.modes.contains(where: { $0.selects(results, previous: subject.previousResults) })
        else { return [] }
        let title = "\(settings.subjectPrefix)\(Self.headline(results)) on \(subject.builder.name) #\(build.number)"
        let payload: JSONValue = [
            "to": .array(settings.to.map(JSONValue.string)),
            "subject": .string(title),
            "text": .string(text(subject, build: build, results: results)),
        ]
        return [Report(target: "mail:\(build.id)", payload: payload)]
    }

    public func deliver(_ payload: JSONValue, deliveryID: Int) async -> DeliveryOutcome {
        guard let title = payload["subject"]?.string, let text = payload["text"]?.string,
            let to = payload["to"]?.elements.compactMap(\.string), !to.isEmpty
        else { return .failed(reason: "the stored report is not a mail") }
        var login: SMTPClient.Login?
        if let user = settings.smtp.user {
            guard let name = settings.smtp.passwordSecret else {
                return .failed(reason: "the SMTP user '\(user)' has no passwordSecret")
            }
            guard let password = secrets.value(name) else { return .missingSecret(name) }
            login = SMTPClient.Login(user: user, password: password)
        }
        let message = MailMessage(
            from: settings.from, to: to, subject: title, text: text, date: clock.now(), deliveryID: deliveryID)
        return await SMTPClient(settings: settings.smtp).send(message, login: login)
    }

    /// The mail's text: where the build is, what it was, and what failed.
    private func text(_ subject: ReportSubject, build: ReportBuild, results: BuildResult) -> String {
        let previous = subject.previousResults.map { " (the previous build: \($0.name))" } ?? ""
        let blamelist = subject.blamelist.isEmpty ? "(none)" : subject.blamelist.joined(separator: ", ")
        var lines = [
            "Gantry has detected a \(Self.detected(results)) on builder \(subject.builder.name).",
            "Full details are available at:",
            "    \(links.page(of: subject))",
            "",
            "Build:        \(subject.builder.name) #\(build.number)",
            "Result:       \(results.name)\(previous)",
            "Build state:  \(build.stateString)",
            "Reason:       \(subject.reason)",
            "Worker:       \(build.workerName ?? "(unknown)")",
            "Blamelist:    \(blamelist)",
            "",
            "Source stamps:",
        ]
        lines += subject.sourceStamps.map { stamp in
            let parts: [String?] = [
                stamp.codebase.isEmpty ? nil : "\(stamp.codebase):", stamp.repository,
                stamp.branch.map { "branch \($0)" }, "revision \(stamp.revision ?? "(latest)")",
            ]
            return "    " + parts.compactMap { $0 }.joined(separator: " ")
        }
        if !subject.failingSteps.isEmpty {
            lines += ["", "Failing steps:"]
            for step in subject.failingSteps {
                let state = step.stateString.isEmpty ? "" : ": \(step.stateString)"
                lines += ["", "- \(step.number) \(step.name) (\(step.results.name))\(state)"]
                var tail = step.logTail[...]
                while tail.last?.isNewline == true { tail.removeLast() }
                if let log = step.logName, !tail.isEmpty {
                    lines.append("  The last lines of \(log):")
                    lines += tail.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map {
                        "    \($0)"
                    }
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The subject's start: `Build failed`.
    private static func headline(_ results: BuildResult) -> String {
        switch results {
        case .success: "Build succeeded"
        case .warnings: "Build had warnings"
        case .failure: "Build failed"
        case .skipped: "Build skipped"
        case .exception: "Build ended in an exception"
        case .retry: "Build will be retried"
        case .cancelled: "Build cancelled"
        }
    }

    /// What Buildbot's mail says it detected: `a failed build`.
    private static func detected(_ results: BuildResult) -> String {
        switch results {
        case .success: "passed build"
        case .warnings: "build with warnings"
        case .failure: "failed build"
        case .skipped: "skipped build"
        case .exception: "build with an exception"
        case .retry: "build that will be retried"
        case .cancelled: "cancelled build"
        }
    }
}
