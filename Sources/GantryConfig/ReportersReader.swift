import Foundation
import GantryModel
import Yams

/// Reads the `reporters` list.
extension ConfigReader {
    /// `- {name, type: github|gitlab|gitea|http|mail, <type's keys>, builders, tags, branches, results,
    /// maxPerMinute, maxAttempts}`; names unique identifiers.
    mutating func reporters(_ node: Node?, basedir: String) -> [ReporterConfig] {
        var reporters: [ReporterConfig] = []
        var seen: Set<String> = []
        let common: Set = ["name", "type", "builders", "tags", "branches", "results", "maxPerMinute", "maxAttempts"]
        for (path, item) in listItems(node, key: "reporters") {
            let type = item.mapping?["type"]?.string
            let own: Set<String> =
                switch type {
                case "github": ["baseURL", "tokenSecret", "context", "checks"]
                case "gitlab", "gitea": ["baseURL", "tokenSecret", "context"]
                case "http": ["url", "signingSecret", "headers"]
                case "mail": ["smtp", "from", "to", "mode", "subjectPrefix"]
                default: []
                }
            guard
                let entry = namedEntry(item, at: path, allowed: common.union(own), identifier: "reporter", seen: &seen)
            else { continue }
            let mapping = entry.mapping
            let kind = reporterKind(type, mapping, basedir: basedir, at: path)
            guard let name = entry.name, let kind else { continue }
            var reporter = ReporterConfig(name: name, kind: kind, filter: reportFilter(mapping, at: path))
            if reporter.filter.results != nil, kind.isCommitStatus {
                problem(
                    join(path, "results"),
                    "a commit-status reporter reports every result: leaving some out would leave their commits pending")
            }
            // GitHub's secondary limits: at most 80 content-creating requests a minute.
            if case .github = kind { reporter.maxPerMinute = 80 }
            if let node = mapping["maxPerMinute"] {
                if let count = node.int, (1...100_000).contains(count) {
                    reporter.maxPerMinute = count
                } else {
                    problem(join(path, "maxPerMinute"), "must be a number of deliveries from 1 to 100000")
                }
            }
            if let node = mapping["maxAttempts"] {
                if let count = node.int, (1...100).contains(count) {
                    reporter.maxAttempts = count
                } else {
                    problem(join(path, "maxAttempts"), "must be a number of attempts from 1 to 100")
                }
            }
            reporters.append(reporter)
        }
        return reporters
    }

    private mutating func reporterKind(_ type: String?, _ mapping: Node.Mapping, basedir: String, at path: String)
        -> ReporterConfig.Kind?
    {
        switch type {
        case "github":
            return commitStatus(mapping, defaultBaseURL: "https://api.github.com", at: path).map(
                ReporterConfig.Kind.github)
        case "gitlab":
            return commitStatus(mapping, defaultBaseURL: "https://gitlab.com", at: path).map(
                ReporterConfig.Kind.gitlab)
        case "gitea":
            return commitStatus(mapping, defaultBaseURL: nil, at: path).map(ReporterConfig.Kind.gitea)
        case "http":
            guard let url = webURL(mapping, "url", at: path) else {
                if mapping["url"] == nil { problem(join(path, "url"), "is required") }
                return nil
            }
            var settings = HTTPPushSettings(url: url, signingSecret: secretName(mapping, "signingSecret", at: path))
            if let headers = mapping["headers"] {
                settings.headers = self.headers(headers, at: join(path, "headers"))
            }
            return .http(settings)
        case "mail":
            return mail(mapping, basedir: basedir, at: path).map(ReporterConfig.Kind.mail)
        case nil:
            problem(join(path, "type"), "is required (github, gitlab, gitea, http or mail)")
        case let other?:
            problem(join(path, "type"), "'\(other)' is not a reporter type (github, gitlab, gitea, http or mail)")
        }
        return nil
    }

    private mutating func commitStatus(_ mapping: Node.Mapping, defaultBaseURL: String?, at path: String)
        -> CommitStatusSettings?
    {
        let baseURL = webURL(mapping, "baseURL", at: path) ?? defaultBaseURL
        if baseURL == nil, mapping["baseURL"] == nil { problem(join(path, "baseURL"), "is required") }
        let token = secretName(mapping, "tokenSecret", at: path)
        if mapping["tokenSecret"] == nil {
            problem(join(path, "tokenSecret"), "is required: the secret holding the API token")
        }
        guard let baseURL, let token else { return nil }
        var settings = CommitStatusSettings(baseURL: baseURL, tokenSecret: token)
        settings.context = string(mapping, "context", at: path) ?? settings.context
        settings.checks = flag(mapping, "checks", at: path) ?? settings.checks
        return settings
    }

    private mutating func mail(_ mapping: Node.Mapping, basedir: String, at path: String) -> MailSettings? {
        let from = mailAddress(mapping, "from", at: path)
        if mapping["from"] == nil { problem(join(path, "from"), "is required") }
        let to = names(mapping["to"], at: join(path, "to"))
        if to.isEmpty { problem(join(path, "to"), "must list at least one address") }
        for address in to where !Self.isMailAddress(address) {
            problem(join(path, "to"), "'\(address)' is not a mail address")
        }
        guard let smtpNode = mapping["smtp"] else {
            problem(join(path, "smtp"), "is required: {host, port, security, user, passwordSecret}")
            return nil
        }
        guard let smtp = smtp(smtpNode, basedir: basedir, at: join(path, "smtp")), let from else { return nil }
        var settings = MailSettings(smtp: smtp, from: from, to: to)
        if let mode = mapping["mode"] { settings.modes = mailModes(mode, at: join(path, "mode")) }
        if let prefix = mapping["subjectPrefix"] {
            if let text = prefix.string, !text.contains(where: \.isNewline) {
                settings.subjectPrefix = text
            } else {
                problem(join(path, "subjectPrefix"), "must be text on one line")
            }
        }
        return settings
    }

    private mutating func smtp(_ node: Node, basedir: String, at path: String) -> SMTPSettings? {
        guard let mapping = node.mapping else {
            problem(path, "must be a mapping of host, port, security, user, passwordSecret and caFile")
            return nil
        }
        refuseUnknownKeys(mapping, allowed: ["host", "port", "security", "user", "passwordSecret", "caFile"], at: path)
        guard let host = string(mapping, "host", at: path) else {
            if mapping["host"] == nil { problem(join(path, "host"), "is required") }
            return nil
        }
        var settings = SMTPSettings(host: host)
        if let text = string(mapping, "security", at: path) {
            if let security = SMTPSettings.Security(rawValue: text) {
                settings.security = security
            } else {
                problem(join(path, "security"), "must be none, starttls or tls")
            }
        }
        settings.port = settings.security == .tls ? 465 : 25
        if let node = mapping["port"] {
            if let port = node.int, (1...65535).contains(port) {
                settings.port = port
            } else {
                problem(join(path, "port"), "must be a port from 1 to 65535")
            }
        }
        settings.user = string(mapping, "user", at: path)
        settings.passwordSecret = secretName(mapping, "passwordSecret", at: path)
        if settings.user != nil && settings.passwordSecret == nil {
            problem(join(path, "passwordSecret"), "is required with 'user': the secret holding the password")
        }
        if let file = string(mapping, "caFile", at: path) {
            settings.caFile = file.hasPrefix("/") ? file : basedir + "/" + file
        }
        return settings
    }

    private mutating func mailModes(_ node: Node, at path: String) -> Set<MailMode> {
        if node.string == "all" { return [.all] }
        let names = self.names(node, at: path)
        var modes: Set<MailMode> = []
        for name in names {
            if let mode = MailMode(rawValue: name) {
                modes.insert(mode)
            } else {
                let known = MailMode.allCases.map(\.rawValue).joined(separator: ", ")
                problem(path, "'\(name)' is not a mail mode (\(known))")
            }
        }
        if names.isEmpty { problem(path, "must name at least one mode") }
        return modes
    }

    private mutating func reportFilter(_ mapping: Node.Mapping, at path: String) -> ReportFilter {
        var filter = ReportFilter()
        if mapping["builders"] != nil { filter.builders = globs(mapping["builders"], at: join(path, "builders")) }
        if mapping["tags"] != nil { filter.tags = names(mapping["tags"], at: join(path, "tags")) }
        if mapping["branches"] != nil { filter.branches = globs(mapping["branches"], at: join(path, "branches")) }
        if mapping["results"] != nil {
            var results: Set<BuildResult> = []
            for name in names(mapping["results"], at: join(path, "results")) {
                if let result = BuildResult(name: name) {
                    results.insert(result)
                } else {
                    let known = BuildResult.allCases.map(\.name).joined(separator: ", ")
                    problem(join(path, "results"), "'\(name)' is not a result (\(known))")
                }
            }
            filter.results = results
        }
        return filter
    }

    private mutating func headers(_ node: Node, at path: String) -> [String: String] {
        guard let mapping = node.mapping else {
            problem(path, "must be a mapping of header names to values")
            return [:]
        }
        var headers: [String: String] = [:]
        for (key, value) in mapping {
            guard let name = key.string, Self.isHeaderName(name), let text = value.string,
                !text.contains(where: { $0.isNewline })
            else {
                problem(path, "'\(key.string ?? "?")' must be a header name with a one-line value")
                continue
            }
            headers[name] = text
        }
        return headers
    }

    /// A secret's name, as `%(secret:NAME)s` names one: the secret itself never appears in the configuration.
    mutating func secretName(_ mapping: Node.Mapping, _ key: String, at path: String) -> String? {
        guard let name = string(mapping, key, at: path) else { return nil }
        guard !name.contains("/"), !name.hasPrefix("."), !name.contains(where: \.isWhitespace) else {
            problem(join(path, key), "'\(name)' is not a secret name")
            return nil
        }
        return name
    }

    /// An `http://` or `https://` address with a host.
    mutating func webURL(_ mapping: Node.Mapping, _ key: String, at path: String) -> String? {
        guard let text = string(mapping, key, at: path) else { return nil }
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
            url.host?.isEmpty == false
        else {
            problem(join(path, key), "'\(text)' must be an http:// or https:// address")
            return nil
        }
        return text
    }

    private mutating func mailAddress(_ mapping: Node.Mapping, _ key: String, at path: String) -> String? {
        guard let text = string(mapping, key, at: path) else { return nil }
        guard Self.isMailAddress(text) else {
            problem(join(path, key), "'\(text)' is not a mail address")
            return nil
        }
        return text
    }

    /// `local@domain`, with nothing an SMTP command line or a header could be split on.
    static func isMailAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty && text.count <= 254
            && !text.contains { $0.isWhitespace || $0.isNewline || "<>,;\"".contains($0) }
    }

    private static func isHeaderName(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) }
    }
}

extension ReporterConfig.Kind {
    /// Whether it puts commit statuses on a code host, where a pending status must always be followed by a result.
    fileprivate var isCommitStatus: Bool {
        switch self {
        case .github, .gitlab, .gitea: true
        case .http, .mail: false
        }
    }
}
