import Foundation
import GantryConfig
import GantryModel
import Testing

/// `reporters`, `changeSources` and `publicURL`.
@Suite("ConfigLoader: reporters and change sources")
struct IntegrationsConfigTests {
    let loader = ConfigLoader(basedir: "/srv/gantry", hostname: "build1")

    /// The YAML block after `marker` in the README.
    private func readmeExample(_ marker: String) throws -> String {
        let readme = URL(filePath: #filePath).deletingLastPathComponent().appending(path: "../../README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let start = try #require(text.range(of: "<!-- \(marker) -->\n```yaml\n"))
        let end = try #require(text.range(of: "```", range: start.upperBound..<text.endIndex))
        return String(text[start.upperBound..<end.lowerBound])
    }

    /// Problems of `yaml` (with an environment secret source, so reporters may name secrets).
    private func problems(_ yaml: String) -> [String] {
        do {
            _ = try loader.parse("secrets: {environmentPrefix: GANTRY_}\n" + yaml)
            return []
        } catch let error as ConfigError {
            return error.problems.map { "\($0.path): \($0.message)" }
        } catch {
            return ["\(error)"]
        }
    }

    @Test("the README's reporters example is valid and means what the README says")
    func readmeReporters() throws {
        let basedir = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-reporters-\(UUID())")
        try FileManager.default.createDirectory(
            at: basedir.appendingPathComponent("secrets"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: basedir) }
        let config = try ConfigLoader(basedir: basedir.path, hostname: "build1").parse(
            try readmeExample("reporters-example"))
        #expect(config.publicURL == "https://ci.example.com")
        #expect(config.reporters.map(\.name) == ["github", "gitlab", "forgejo", "dashboard", "mail"])
        let github = try #require(config.reporters.first)
        guard case .github(let settings) = github.kind else {
            Issue.record("the first reporter is \(github.kind.typeName)")
            return
        }
        #expect(settings.baseURL == "https://api.github.com")
        #expect(settings.context == "ci/{builder}")
        #expect(github.maxPerMinute == 80)
        #expect(github.filter.branches?.map(\.source) == ["main", "release/*"])
        let mail = try #require(config.reporters.last)
        guard case .mail(let settings) = mail.kind else {
            Issue.record("the last reporter is \(mail.kind.typeName)")
            return
        }
        #expect(settings.modes == [.failing, .problem])
        #expect(settings.smtp.security == .startTLS && settings.smtp.port == 587)
        #expect(settings.smtp.passwordSecret == "smtp_password")
        #expect(mail.filter.tags == ["release"])
        #expect(mail.maxPerMinute == nil)
        if case .http(let push) = config.reporters[3].kind {
            #expect(push.signingSecret == "dashboard_key" && push.headers == ["X-Team": "infra"])
        } else {
            Issue.record("the fourth reporter is not an HTTP push")
        }
    }

    @Test("the README's change sources example is valid and means what the README says")
    func readmeChangeSources() throws {
        let config = try loader.parse(
            "secrets: {environmentPrefix: GANTRY_}\n" + (try readmeExample("changesources-example")))
        #expect(config.changeSources.map(\.name) == ["app", "app-tags"])
        guard case .gitPoller(let app) = config.changeSources[0].kind,
            case .gitPoller(let tags) = config.changeSources[1].kind
        else { return }
        #expect(app.pollInterval == .seconds(300) && app.pollAtLaunch && app.project == "app")
        #expect(app.credentials == .https(username: "ci", passwordSecret: "git_password"))
        #expect(app.workdir == "/srv/gantry/gitpoller-work/app")
        if case .patterns(let patterns) = app.branches {
            #expect(patterns.map(\.source) == ["main", "release/*"])
        } else {
            Issue.record("branches with a glob are not patterns: \(app.branches)")
        }
        #expect(tags.onlyTags && tags.buildPushesWithNoCommits && tags.branches == .remoteHead)
        #expect(tags.credentials == .ssh(privateKeySecret: "deploy_key"))
        #expect(tags.pollInterval == .seconds(600))
    }

    @Test("the README's retention example is valid and means what the README says")
    func readmeRetention() throws {
        let config = try loader.parse(try readmeExample("retention-example"))
        #expect(
            config.retention
                == RetentionSettings(
                    logs: .seconds(30 * 86_400), builds: .seconds(365 * 86_400), interval: .seconds(3600)))
    }

    @Test("the README's log storage example is valid; a directory that is not there or a wrong type is refused")
    func readmeLogStorage() throws {
        let basedir = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-ls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: basedir.appendingPathComponent("logs"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: basedir) }
        let loader = ConfigLoader(basedir: basedir.path)
        let config = try loader.parse(try readmeExample("logstorage-example"))
        #expect(config.logStorage == .files(directory: basedir.path + "/logs"))
        #expect(try loader.parse("name: m").logStorage == .database)
        #expect(try loader.parse("logStorage: {type: database}").logStorage == .database)
        let refused: [(String, String)] = [
            (
                "logStorage: {type: files, directory: nowhere}",
                "logStorage.directory: '\(basedir.path)/nowhere' does not exist"
            ),
            ("logStorage: {type: files}", "logStorage.directory: says where the files go"),
            ("logStorage: {type: s3}", "logStorage.type: must be 'database' or 'files', not 's3'"),
            ("logStorage: {type: database, directory: logs}", "logStorage.directory: only logs stored as files"),
            ("logStorage: files", "logStorage: must be a mapping"),
            ("logStorage: {type: files, directory: logs, bucket: b}", "logStorage"),
        ]
        for (yaml, message) in refused {
            #expect {
                _ = try loader.parse(yaml)
            } throws: { error in
                "\(error)".contains(message)
            }
        }
    }

    @Test("a change source's name defaults to its URL; `all` and plain names are read as such")
    func changeSourceDefaults() throws {
        let config = try loader.parse(
            """
            changeSources:
              - {type: gitpoller, repourl: "https://git.example.com/a.git", branches: all}
              - {type: gitpoller, repourl: "https://git.example.com/b.git", branches: [main, dev], workdir: /var/b}
            """)
        #expect(config.changeSources.map(\.name) == ["https://git.example.com/a.git", "https://git.example.com/b.git"])
        guard case .gitPoller(let a) = config.changeSources[0].kind,
            case .gitPoller(let b) = config.changeSources[1].kind
        else { return }
        #expect(a.branches == .all)
        #expect(a.workdir == "/srv/gantry/gitpoller-work/https___git.example.com_a.git")
        #expect(b.branches == .names(["main", "dev"]) && b.workdir == "/var/b")
    }

    @Test("broken reporters are refused with a located reason")
    func brokenReporters() {
        let cases: [(String, String)] = [
            ("reporters: [{name: r, type: bitbucket}]", "reporters[0].type: 'bitbucket' is not a reporter type"),
            ("reporters: [{name: r, type: github}]", "reporters[0].tokenSecret: is required"),
            ("reporters: [{name: r, type: gitea, tokenSecret: t}]", "reporters[0].baseURL: is required"),
            (
                "reporters: [{name: r, type: github, tokenSecret: t, baseURL: 'ftp://x'}]",
                "reporters[0].baseURL: 'ftp://x' must be an http:// or https:// address"
            ),
            (
                "reporters: [{name: r, type: github, tokenSecret: ../t}]",
                "reporters[0].tokenSecret: '../t' is not a secret name"
            ),
            (
                "reporters: [{name: r, type: github, tokenSecret: t, maxPerMinute: 0}]",
                "reporters[0].maxPerMinute: must be a number of deliveries from 1 to 100000"
            ),
            (
                "reporters: [{name: r, type: github, tokenSecret: t, results: [green]}]",
                "reporters[0].results: 'green' is not a result"
            ),
            (
                "reporters: [{name: r, type: http, url: 'https://x', headers: {'Bad Header': v}}]",
                "reporters[0].headers: 'Bad Header' must be a header name with a one-line value"
            ),
            (
                "reporters: [{name: r, type: mail, from: ci, to: [a@b], smtp: {host: h}}]",
                "reporters[0].from: 'ci' is not a mail address"
            ),
            (
                "reporters: [{name: r, type: mail, from: c@i, to: [a@b], mode: [sometimes], smtp: {host: h}}]",
                "reporters[0].mode: 'sometimes' is not a mail mode"
            ),
            (
                "reporters: [{name: r, type: mail, from: c@i, to: [a@b], smtp: {host: h, user: u}}]",
                "reporters[0].smtp.passwordSecret: is required with 'user'"
            ),
            (
                "reporters: [{name: r, type: mail, from: c@i, to: [a@b], smtp: {host: h, port: 70000}}]",
                "reporters[0].smtp.port: must be a port from 1 to 65535"
            ),
            (
                "reporters: [{name: r, type: http, url: 'https://x', context: c}]",
                "reporters[0].context: unknown key"
            ),
            (
                "reporters: [{name: r, type: http, url: 'https://x'}, {name: r, type: http, url: 'https://y'}]",
                "reporters[1].name: 'r' is used twice"
            ),
            ("publicURL: ci.example.com", "publicURL: 'ci.example.com' must be an http:// or https:// address"),
        ]
        for (yaml, expected) in cases {
            let found = problems(yaml)
            #expect(found.contains { $0.hasPrefix(expected) }, "\(yaml): \(found)")
        }
    }

    @Test("broken change sources are refused with a located reason")
    func brokenChangeSources() {
        let cases: [(String, String)] = [
            (
                "changeSources: [{type: svnpoller, repourl: x}]",
                "changeSources[0].type: 'svnpoller' is not a change source type"
            ),
            ("changeSources: [{type: gitpoller}]", "changeSources[0].repourl: is required"),
            (
                "changeSources: [{type: gitpoller, repourl: x, onlyTags: true, branches: [main]}]",
                "changeSources[0].onlyTags: polls tags only"
            ),
            (
                "changeSources: [{type: gitpoller, repourl: x, branches: []}]",
                "changeSources[0].branches: must be 'all'"
            ),
            ("changeSources: [{type: gitpoller, repourl: x, pollInterval: 0s}]", "changeSources[0].pollInterval:"),
            (
                "changeSources: [{type: gitpoller, repourl: x, username: u}]",
                "changeSources[0]: give 'username' with 'passwordSecret'"
            ),
            (
                "changeSources: [{type: gitpoller, repourl: x}, {type: gitpoller, repourl: x}]",
                "changeSources[1].name: 'x' is used twice"
            ),
        ]
        for (yaml, expected) in cases {
            let found = problems(yaml)
            #expect(found.contains { $0.hasPrefix(expected) }, "\(yaml): \(found)")
        }
    }

    @Test("reporters and credentials need a source of secrets")
    func secretsRequired() throws {
        #expect(throws: ConfigError.self) {
            try loader.parse("reporters: [{name: r, type: http, url: 'https://x'}]")
        }
        #expect(throws: ConfigError.self) {
            try loader.parse("changeSources: [{type: gitpoller, repourl: x, sshPrivateKeySecret: k}]")
        }
        #expect(try loader.parse("changeSources: [{type: gitpoller, repourl: x}]").changeSources.count == 1)
    }
}
