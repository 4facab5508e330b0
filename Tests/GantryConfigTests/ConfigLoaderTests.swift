import Foundation
import GantryConfig
import GantryModel
import Testing

@Suite("ConfigLoader")
struct ConfigLoaderTests {
    let loader = ConfigLoader(basedir: "/srv/gantry", hostname: "build1")

    @Test("defaults: name from host and basedir, SQLite in the basedir, cluster timings")
    func defaults() throws {
        let config = try loader.parse("{}")
        #expect(
            config
                == MasterConfig(
                    name: "build1:/srv/gantry", database: "sqlite:/srv/gantry/gantry.sqlite", basedir: "/srv/gantry"))
    }

    @Test("every key, with a periodic scheduler")
    func full() throws {
        let config = try loader.parse(
            """
            name: m1
            database: postgres://g:s@db/g
            http: "[::1]:9000"
            heartbeat: 500ms
            expireAfter: 3s
            claimPoll: 1s
            schedulers:
              - name: p
                type: periodic
                builderNames: [linux, mac]
                interval: 2m
            """
        )
        #expect(
            config
                == MasterConfig(
                    name: "m1",
                    database: "postgres://g:s@db/g",
                    http: ListenAddress(host: "::1", port: 9000),
                    heartbeat: .milliseconds(500),
                    expireAfter: .seconds(3),
                    claimPoll: .seconds(1),
                    schedulers: [
                        SchedulerConfig(
                            name: "p", builderNames: ["linux", "mac"], kind: .periodic(interval: .seconds(120)))
                    ],
                    basedir: "/srv/gantry"
                )
        )
    }

    @Test("every error is reported with its location, and nothing is returned")
    func errors() {
        let text = """
            heartbeat: soon
            http: localhost
            claimPoll: 0s
            extra: 1
            schedulers:
              - name: a
                type: periodic
                builderNames: [x]
                interval: 1s
              - name: a
                type: periodic
                builderNames: [x]
              - type: weekly
                builderNames: nope
            """
        let error = #expect(throws: ConfigError.self) { try loader.parse(text, file: "master.yaml") }
        #expect(
            error?.problems.map(\.description) == [
                "extra: unknown key (expected one of: auth, builders, changeHooks, changeSources, claimPoll, collapseRequests, "
                    + "database, expireAfter, heartbeat, http, locks, logStorage, name, pools, publicURL, reporters, "
                    + "retention, schedulers, secrets, workerPort, workers, www)",
                "http: must be host:port, like 127.0.0.1:8010 or :8010",
                "heartbeat: must be a duration like 500ms, 2s, 5m or 1h",
                "claimPoll: must be positive",
                "schedulers[1].name: 'a' is used twice",
                "schedulers[1].interval: is required for a periodic scheduler",
                "schedulers[2].name: is required",
                "schedulers[2].builderNames: must be a non-empty list of builder names",
                "schedulers[2].type: unknown scheduler type 'weekly' (known: anyBranch, dependent, force, nightly, nightlyTriggerable, periodic, singleBranch, triggerable)",
            ]
        )
        #expect(error?.description.hasPrefix("master.yaml: 9 errors") == true)
    }

    @Test("malformed YAML and a non-mapping top level are errors")
    func malformed() {
        #expect(throws: ConfigError.self) { try loader.parse("a: [") }
        #expect(throws: ConfigError.self) { try loader.parse("- 1") }
    }

    @Test(
        "durations",
        arguments: [
            ("500ms", Duration.milliseconds(500)), ("2s", .seconds(2)), ("5m", .seconds(300)), ("1h", .seconds(3600)),
        ])
    func durations(_ text: String, _ expected: Duration) {
        #expect(DurationText.parse(text) == expected)
    }

    @Test(
        "not durations, and none that would overflow",
        arguments: [
            "", "2", "s", "1.5s", "-1s", "2d", "two s", "9223372036854775807h", "2562047788015216h",
            "9223372036854775808ms", "2147483648s",
        ])
    func notDurations(_ text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test(
        "listen addresses",
        arguments: [
            ("127.0.0.1:8010", ListenAddress(host: "127.0.0.1", port: 8010)),
            (":0", ListenAddress(host: "0.0.0.0", port: 0)),
            ("[::]:80", ListenAddress(host: "::", port: 80)),
            ("build.example:65535", ListenAddress(host: "build.example", port: 65535)),
        ]
    )
    func listenAddresses(_ text: String, _ address: ListenAddress) {
        #expect(ListenAddress(parsing: text) == address)
        #expect(ListenAddress(parsing: address.description) == address)
    }

    @Test("not listen addresses", arguments: ["8010", "host:", "host:http", "host:65536", "host:-1"])
    func notListenAddresses(_ text: String) {
        #expect(ListenAddress(parsing: text) == nil)
    }

    @Test("change hooks: each dialect is on when named, with its secret; mistakes are located")
    func changeHooks() throws {
        let config = try loader.parse(
            """
            changeHooks:
              base: {}
              github: {secret: s3cret}
            """
        )
        #expect(config.changeHooks == ChangeHooksConfig(base: true, github: HookSecret(secret: "s3cret")))
        #expect(try loader.parse("{}").changeHooks == ChangeHooksConfig())
        let error = #expect(throws: ConfigError.self) {
            try loader.parse(
                """
                changeHooks:
                  bitbucket: {}
                  base: {secret: x}
                  gitlab: yes
                """
            )
        }
        #expect(
            error?.problems.map(\.description) == [
                "changeHooks.bitbucket: unknown key (expected one of: base, github, gitlab)",
                "changeHooks.base: takes no settings; use {}",
                "changeHooks.gitlab: must be a mapping (use {} for the defaults)",
            ])
    }

    @Test("singleBranch and anyBranch: filters, importance, codebases, priority rules, properties")
    func branchSchedulers() throws {
        let config = try loader.parse(
            """
            builders: [{name: linux}]
            schedulers:
              - name: main
                type: singleBranch
                builderNames: [linux]
                branch: main
                treeStableTimer: 30s
                fileIsImportant: {include: ['src/*', 're:lib/.*\\.swift'], exclude: ['*.md']}
                onlyImportant: true
                properties: {owner: ci, retries: 2}
                codebases: {app: {repository: 'https://example.org/app.git', branch: main}, lib: {}}
                priority: {default: 1, branches: {'release/.*': 9}}
                reason: merged
              - name: all
                type: anyBranch
                builderNames: [linux]
                changeFilter:
                  branch_re: 'feature/'
                  project: [a, b]
                  category_not_eq: ~
                  property_eq: {event: push}
            """
        )
        #expect(config.builders.map(\.name) == ["linux"])
        let main = config.schedulers[0]
        #expect(main.options.properties == ["owner": "ci", "retries": 2])
        #expect(main.options.reason == "merged")
        #expect(
            main.options.codebases == [
                "app": CodebaseDefaults(repository: "https://example.org/app.git", branch: "main"),
                "lib": CodebaseDefaults(),
            ])
        #expect(
            main.options.priority
                == .byBranch([.init(branch: try Pattern("release/.*"), priority: 9)], otherwise: 1))
        guard case .singleBranch(let settings) = main.kind else {
            Issue.record("not a singleBranch scheduler")
            return
        }
        #expect(settings.treeStableTimer == .seconds(30))
        #expect(settings.consumption.filter == ChangeFilter(rules: [.branch: [.equal(["main"])]]))
        #expect(
            settings.consumption.importance
                == FileImportance(
                    include: [try Pattern(glob: "src/*"), try Pattern(glob: "re:lib/.*\\.swift")],
                    exclude: [try Pattern(glob: "*.md")]))
        #expect(settings.consumption.onlyImportant)
        guard case .anyBranch(let any) = config.schedulers[1].kind else {
            Issue.record("not an anyBranch scheduler")
            return
        }
        #expect(
            any.consumption.filter
                == ChangeFilter(
                    rules: [
                        .branch: [.matches(try Pattern("feature/"))], .project: [.equal(["a", "b"])],
                        .category: [.notEqual([nil])],
                    ],
                    propertyRules: ["event": [.equal(["push"])]]))
    }

    @Test("scheduler errors: missing branch, bad regex, unknown codebase keys, filter and branch together")
    func branchSchedulerErrors() {
        let text = """
            schedulers:
              - {name: a, type: singleBranch, builderNames: [x]}
              - {name: b, type: anyBranch, builderNames: [x], changeFilter: {branch_re: '('}}
              - {name: c, type: anyBranch, builderNames: [x], codebases: {app: {repo: y}}, branches: [main],
                 changeFilter: {branch: main}}
              - {name: d, type: periodic, builderNames: [x], interval: 1s, treeStableTimer: 2s}
            """
        let error = #expect(throws: ConfigError.self) { try loader.parse(text) }
        #expect(
            error?.problems.map(\.description) == [
                "schedulers[0]: a singleBranch scheduler needs 'branch' or 'changeFilter'",
                "schedulers[1].changeFilter.branch_re: '(' is not a valid regular expression",
                "schedulers[2].codebases.app.repo: unknown key (expected one of: branch, repository, revision)",
                "schedulers[2].branches: cannot be combined with changeFilter; put it in the filter",
                "schedulers[3].treeStableTimer: unknown key (expected one of: builderNames, codebases, interval, name, priority, properties, reason, type)",
            ])
    }

    @Test("fileIsImportant: globs, or regular expressions after re:; a bad one is located and explained")
    func fileIsImportantPatterns() throws {
        let config = try loader.parse(
            """
            schedulers:
              - name: main
                type: anyBranch
                builderNames: [x]
                fileIsImportant:
                  include: ['src/*.[ch]', 're:(lib|include)/.*']
                  exclude: ['src/gen?/*', 'src/[!a-z]*']
            """)
        guard case .anyBranch(let settings) = config.schedulers.first?.kind,
            let importance = settings.consumption.importance
        else {
            Issue.record("not an anyBranch scheduler with fileIsImportant")
            return
        }
        func important(_ files: String...) -> Bool {
            importance.isImportant(
                Change(id: 1, details: NewChange(author: "a", files: files), when: .now, sourceStampID: 1))
        }
        #expect(important("src/a/b.c"))
        #expect(important("include/x.h"))
        #expect(!important("src/a/b.o"))
        #expect(!important("src/gen1/b.c"))
        #expect(!important("src/Main.c"))
        #expect(!important("README.md"))

        let error = #expect(throws: ConfigError.self) {
            try loader.parse(
                """
                schedulers:
                  - {name: a, type: anyBranch, builderNames: [x], fileIsImportant: {exclude: ['docs/*', 're:docs/(']}}
                  - {name: b, type: anyBranch, builderNames: [x], fileIsImportant: {include: 'src/*', exclude: [[a]]}}
                """)
        }
        #expect(
            error?.problems.map(\.description) == [
                "schedulers[0].fileIsImportant.exclude[1]: 'docs/(' after 're:' is not a valid regular expression",
                "schedulers[1].fileIsImportant.include: must be a list of globs (or regular expressions after 're:')",
                "schedulers[1].fileIsImportant.exclude[0]: must be a glob (or a regular expression after 're:')",
            ])
    }

    @Test(
        "force: typed parameters; a bad type, a default that fails its own rule, and a non-identifier name are errors")
    func force() throws {
        let config = try loader.parse(
            """
            schedulers:
              - name: force
                type: force
                builderNames: [linux]
                parameters:
                  - {name: target, type: choice, choices: [debug, release], default: debug, required: true}
                  - {name: jobs, type: int, default: 4}
                  - {name: tag, regex: 'v[0-9]+', maxsize: 10}
            """
        )
        #expect(
            config.schedulers.first?.kind
                == .force(parameters: [
                    ForceParameter(
                        name: "target", kind: .choice(["debug", "release"]), defaultValue: "debug", required: true),
                    ForceParameter(name: "jobs", kind: .int, defaultValue: 4),
                    ForceParameter(name: "tag", kind: .string, regex: try Pattern("v[0-9]+"), maxsize: 10),
                ]))
        let text = """
            schedulers:
              - {name: 'my force', type: force, builderNames: [x]}
              - name: f2
                type: force
                builderNames: [x]
                parameters: [{name: n, type: float}, {name: j, type: int, default: lots}, {name: reason}]
            """
        let error = #expect(throws: ConfigError.self) { try loader.parse(text) }
        #expect(
            error?.problems.map(\.description) == [
                "schedulers[0].name: a force scheduler's name must be an identifier (letters, digits, _ and -)",
                "schedulers[1].parameters[0].type: unknown parameter type 'float' (known: string, text, int, boolean, choice, username)",
                "schedulers[1].parameters[1].default: must be an integer",
                "schedulers[1].parameters[2].name: 'reason' is already a parameter",
            ])
    }

    @Test("nightly: cron fields as numbers, text or lists, a time zone, onlyIfChanged with forceAt; bad fields located")
    func nightly() throws {
        let config = try loader.parse(
            """
            schedulers:
              - name: nightly
                type: nightly
                builderNames: [linux]
                minute: 30
                hour: [2, 14]
                dayOfWeek: mon-fri
                timeZone: Europe/Berlin
                onlyIfChanged: true
                branch: main
                forceAt: {dayOfWeek: sun, hour: 2, minute: 30}
            """
        )
        guard case .nightly(let settings) = config.schedulers.first?.kind else {
            Issue.record("not a nightly scheduler")
            return
        }
        #expect(settings.schedule.minute.values == [30])
        #expect(settings.schedule.hour.values == [2, 14])
        #expect(settings.schedule.dayOfWeek.values == [0, 1, 2, 3, 4])
        #expect(settings.schedule.timeZone.identifier == "Europe/Berlin")
        #expect(settings.onlyIfChanged)
        #expect(settings.forceAt?.dayOfWeek.values == [6])
        #expect(settings.consumption.filter == ChangeFilter(rules: [.branch: [.equal(["main"])]]))

        let error = #expect(throws: ConfigError.self) {
            try loader.parse(
                "schedulers: [{name: n, type: nightly, builderNames: [x], hour: 25, timeZone: Mars/Olympus}]")
        }
        #expect(
            error?.problems.map(\.description) == [
                "schedulers[0].timeZone: unknown time zone 'Mars/Olympus' (use a name like Europe/Berlin or UTC)",
                "schedulers[0].hour: '25' is not a valid hour (use numbers in 0-23, lists, ranges, */steps)",
            ])
    }

    @Test("dependent: upstream must name another scheduler of the configuration")
    func dependent() throws {
        let config = try loader.parse(
            """
            schedulers:
              - {name: up, type: periodic, builderNames: [a], interval: 1h}
              - {name: down, type: dependent, builderNames: [b], upstream: up}
            """)
        #expect(config.schedulers.last?.kind == .dependent(upstream: "up"))
        let error = #expect(throws: ConfigError.self) {
            try loader.parse(
                """
                schedulers:
                  - {name: down, type: dependent, builderNames: [b], upstream: nowhere}
                  - {name: self, type: dependent, builderNames: [b], upstream: self}
                  - {name: none, type: dependent, builderNames: [b]}
                """)
        }
        #expect(
            error?.problems.map(\.description) == [
                "schedulers[2].upstream: is required for a dependent scheduler",
                "schedulers[0].upstream: must name another scheduler of this configuration",
                "schedulers[1].upstream: must name another scheduler of this configuration",
            ])
    }

    @Test("triggerable and nightlyTriggerable: a reason, cron fields; keys of other types are refused")
    func triggerables() throws {
        let config = try loader.parse(
            """
            schedulers:
              - {name: tests, type: triggerable, builderNames: [a], reason: asked}
              - {name: late, type: nightlyTriggerable, builderNames: [a], hour: 3, timeZone: Europe/Berlin}
            """)
        #expect(config.schedulers.first?.kind == .triggerable)
        #expect(config.schedulers.first?.options.reason == "asked")
        guard case .nightlyTriggerable(let schedule) = config.schedulers.last?.kind else {
            Issue.record("not a nightlyTriggerable scheduler")
            return
        }
        #expect(schedule.hour.values == [3] && schedule.minute.values == [0])
        #expect(schedule.timeZone.identifier == "Europe/Berlin")
        let error = #expect(throws: ConfigError.self) {
            try loader.parse(
                """
                schedulers:
                  - {name: t, type: triggerable, builderNames: [a], hour: 3}
                  - {name: n, type: nightlyTriggerable, builderNames: [a], onlyIfChanged: true, minute: 61}
                """)
        }
        #expect(
            error?.problems.map(\.description) == [
                "schedulers[0].hour: unknown key (expected one of: builderNames, codebases, name, priority, properties, "
                    + "reason, type)",
                "schedulers[1].onlyIfChanged: unknown key (expected one of: builderNames, codebases, dayOfMonth, "
                    + "dayOfWeek, hour, minute, month, name, priority, properties, reason, timeZone, type)",
                "schedulers[1].minute: '61' is not a valid minute (use numbers in 0-59, lists, ranges, */steps)",
            ])
    }

    @Test("the README's scheduler example is valid and shows every scheduler type")
    func readmeExample() throws {
        let config = try loader.parse(try readmeYAML(after: "<!-- scheduler-example -->"))
        #expect(
            Set(config.schedulers.map(\.kind.typeName)) == [
                "periodic", "singleBranch", "anyBranch", "nightly", "force", "dependent", "triggerable",
                "nightlyTriggerable",
            ])
        guard case .singleBranch(let main) = config.schedulers.first(where: { $0.name == "main" })?.kind,
            let importance = main.consumption.importance
        else {
            Issue.record("no singleBranch scheduler 'main' with fileIsImportant")
            return
        }
        for files in [["docs/readme.txt"], ["docs/a/b.md", "docs/readme.txt"]] {
            let change = Change(id: 1, details: NewChange(author: "a", files: files), when: .now, sourceStampID: 1)
            #expect(!importance.isImportant(change), "\(files) are all under docs/")
        }
        let change = Change(
            id: 1, details: NewChange(author: "a", files: ["docs/readme.txt", "src/app.swift"]), when: .now,
            sourceStampID: 1)
        #expect(importance.isImportant(change))
    }

    @Test("the README's builders example is valid and shows every step kind")
    func readmeBuildersExample() throws {
        let basedir = try makeBasedir()
        defer { try? FileManager.default.removeItem(at: basedir) }
        let config = try ConfigLoader(basedir: basedir.path, hostname: "build1").parse(
            try readmeYAML(after: "#### Builders and steps\n"))
        let kinds = Set(
            config.builders.flatMap(\.steps).map { step -> String in
                switch step.action {
                case .shellCommand: "shell"
                case .setPropertyFromCommand: "setProperty"
                case .git: "git"
                case .fileUpload: "fileUpload"
                case .directoryUpload: "directoryUpload"
                case .fileDownload: "fileDownload"
                case .trigger: "trigger"
                }
            })
        #expect(kinds.count == 7)
        #expect(Set(config.locks.map(\.kind)) == [.master, .worker])
        #expect(config.builders.map { $0.locks.map(\.lock.name) } == [["cpu"], []])
        #expect(config.builders.flatMap(\.steps).flatMap(\.locks).map(\.mode) == [.exclusive])
        let steps = config.builders.flatMap(\.steps)
        #expect(steps.contains { $0.description != nil && $0.descriptionDone != nil && !$0.urls.isEmpty })
        #expect(steps.contains { $0.hideStepIf == [.success] } && steps.contains { $0.doStepIf != nil })
        #expect(steps.contains { if case .fileUpload(let upload) = $0.action { upload.url != nil } else { false } })
        #expect(config.collapseRequests == .always)
        #expect(
            config.builders.map(\.collapseRequests) == [CollapseRule(ignoreProperties: ["release_notes"]), .never])
    }

    @Test("workers: a password or a password file; the worker port and keepalive; mistakes located")
    func workers() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-cfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "from-file\nignored\n".write(
            to: directory.appendingPathComponent("wk2.pass"), atomically: true, encoding: .utf8)
        let loader = ConfigLoader(basedir: directory.path, hostname: "build1")
        let config = try loader.parse(
            """
            workers:
              - {name: wk1, password: pass1}
              - {name: wk2, passwordFile: wk2.pass, maxBuilds: 3}
            workerPort: {address: ":9990", keepalive: 30s}
            """)
        #expect(
            config.workers == [
                .init(name: "wk1", password: "pass1"), .init(name: "wk2", password: "from-file", maxBuilds: 3),
            ])
        #expect(config.workerPort.address == ListenAddress(host: "0.0.0.0", port: 9990))
        #expect(config.workerPort.keepalive == .seconds(30))
        #expect(try loader.parse("{}").workerPort.address == ListenAddress(host: "127.0.0.1", port: 9989))
        let error = #expect(throws: ConfigError.self) {
            try loader.parse(
                """
                workers:
                  - {name: "9lives", password: x}
                  - {name: wk1}
                  - {name: wk2, password: x, passwordFile: wk2.pass}
                  - {name: wk3, passwordFile: missing.pass}
                  - {name: wk3, password: y, maxBuilds: 0}
                workerPort: {address: nowhere}
                """)
        }
        #expect(
            error?.problems.map(\.description) == [
                "workers[0].name: '9lives' is not a valid worker name (\(Identifier.rule))",
                "workers[1]: needs 'password' or 'passwordFile'",
                "workers[2]: takes 'password' or 'passwordFile', not both",
                "workers[3].passwordFile: cannot read a password from 'missing.pass'",
                "workers[4].name: 'wk3' is used twice",
                "workers[4].maxBuilds: must be a positive number of builds",
                "workerPort.address: must be host:port, like 127.0.0.1:9989 or :9989",
            ])
    }

    @Test("builders: workers of the configuration and shell steps with Buildbot's options; mistakes located")
    func builderSteps() throws {
        let config = try loader.parse(
            """
            workers: [{name: wk1, password: p}]
            builders:
              - name: linux
                workers: [wk1]
                steps:
                  - {shell: make}
                  - name: test
                    shell: [make, test]
                    workdir: src
                    env: {CC: clang}
                    timeout: 10m
                    maxTime: 1h
                    haltOnFailure: true
                    decodeRC: {0: success, 3: warnings}
            """)
        let builder = try #require(config.builders.first)
        #expect(builder.workers == ["wk1"])
        #expect(builder.steps.map(\.name) == ["shell", "test"])
        #expect(builder.steps.first?.action == .shellCommand(ShellCommand(.shell("make"))))
        let step = try #require(builder.steps.last)
        guard case .shellCommand(let test) = step.action else {
            Issue.record("not a shell command: \(step.action)")
            return
        }
        #expect(test.command == .argv(["make", "test"]) && test.workdir == "src" && test.env == ["CC": "clang"])
        #expect(test.timeout == 600 && test.maxTime == 3600 && step.haltOnFailure && step.flunkOnFailure)
        #expect(test.decodeRC == [0: .success, 3: .warnings] && test.result(rc: 4) == .failure)
        let error = #expect(throws: ConfigError.self) {
            try loader.parse(
                """
                builders:
                  - name: b
                    workers: [ghost]
                    steps:
                      - {name: nothing}
                      - {shell: [], halt: true}
                      - {shell: x, decodeRC: {0: fine}}
                """)
        }
        #expect(
            error?.problems.map(\.description) == [
                "builders[0].workers: 'ghost' is not a worker of this configuration",
                "builders[0].steps[0]: must have exactly one of shell, git, fileUpload, fileDownload, "
                    + "directoryUpload, trigger",
                "builders[0].steps[1].halt: unknown key (expected one of: decodeRC, description, descriptionDone, "
                    + "descriptionSuffix, doStepIf, env, flunkOnFailure, haltOnFailure, hideStepIf, locks, maxTime, "
                    + "name, setProperty, shell, timeout, urls, warnOnFailure, workdir)",
                "builders[0].steps[1].shell: must be a command text or a non-empty list of words",
                "builders[0].steps[2].decodeRC: must map exit codes to success, warnings, failure, skipped, "
                    + "exception, retry or cancelled",
            ])
    }

    @Test("every step kind with its settings; secrets; a Trigger must name a triggerable scheduler")
    func stepKinds() throws {
        let basedir = try makeBasedir()
        defer { try? FileManager.default.removeItem(at: basedir) }
        let config = try ConfigLoader(basedir: basedir.path, hostname: "build1").parse(
            """
            workers: [{name: wk1, password: p}]
            secrets: {directory: secrets, environmentPrefix: GANTRY_SECRET_}
            schedulers:
              - {name: tests, type: triggerable, builderNames: [b]}
            builders:
              - name: b
                workers: [wk1]
                properties: {arch: x86_64, jobs: 4}
                tags: [linux]
                steps:
                  - {git: {repourl: "https://example.org/r.git", branch: main, mode: full, method: clobber}}
                  - {name: version, shell: cat VERSION, setProperty: version}
                  - {fileDownload: {mastersrc: in.txt, workerdest: in.txt, mode: "0640"}}
                  - {fileUpload: {workersrc: out.bin, masterdest: "artifacts/%(prop:version)s.bin", maxsize: 1000}}
                  - {directoryUpload: {workersrc: html, masterdest: docs}}
                  - trigger: {schedulerNames: [tests], waitForFinish: true, set_properties: {a: b}, copy_properties: [version]}
                    haltOnFailure: true
            """)
        #expect(
            config.secrets == SecretsConfig(directory: basedir.path + "/secrets", environmentPrefix: "GANTRY_SECRET_"))
        let builder = try #require(config.builders.first)
        #expect(builder.properties == ["arch": "x86_64", "jobs": 4] && builder.tags == ["linux"])
        var git = GitCheckout(repourl: "https://example.org/r.git")
        git.branch = "main"
        git.mode = .full(method: .clobber)
        var download = FileDownload(mastersrc: "in.txt", workerdest: "in.txt")
        download.mode = 0o640
        var upload = FileUpload(workersrc: "out.bin", masterdest: "artifacts/%(prop:version)s.bin")
        upload.maxsize = 1000
        var trigger = TriggerBuilds(schedulerNames: ["tests"])
        trigger.waitForFinish = true
        trigger.setProperties = ["a": "b"]
        trigger.copyProperties = ["version"]
        #expect(
            builder.steps.map(\.action) == [
                .git(git), .setPropertyFromCommand(ShellCommand(.shell("cat VERSION")), property: "version"),
                .fileDownload(download), .fileUpload(upload),
                .directoryUpload(DirectoryUpload(workersrc: "html", masterdest: "docs")), .trigger(trigger),
            ])
        #expect(
            builder.steps.map(\.name) == ["git", "version", "fileDownload", "fileUpload", "directoryUpload", "trigger"])
        #expect(builder.steps.last?.haltOnFailure == true)

        let error = #expect(throws: ConfigError.self) {
            try loader.parse(
                """
                workers: [{name: wk1, password: p}]
                builders:
                  - name: b
                    workers: [wk1]
                    steps:
                      - {git: {branch: main, mode: sometimes}}
                      - {fileUpload: {workersrc: a}, shell: make}
                      - {fileDownload: {mastersrc: a, workerdest: b, mode: rw}}
                      - {trigger: {schedulerNames: [ghost]}}
                """)
        }
        #expect(
            error?.problems.map(\.description) == [
                "builders[0].steps[0].git.repourl: is required",
                "builders[0].steps[1]: must have exactly one of shell, git, fileUpload, fileDownload, directoryUpload, "
                    + "trigger",
                "builders[0].steps[2].fileDownload.mode: must be permission bits like \"0644\"",
                "builders[0].steps[3].trigger.schedulerNames: 'ghost' is not a triggerable scheduler of this "
                    + "configuration",
            ])
    }

    @Test("pools: their builders, sizes, timeouts and provisioner; mistakes located")
    func pools() throws {
        let config = try loader.parse(
            """
            builders: [{name: b1}, {name: b2}]
            pools:
              - {name: local, builders: [b1], maxWorkers: 3}
              - name: vms
                builders: [b1, b2]
                maxWorkers: 2
                minIdle: 1
                idleTimeout: 10m
                startTimeout: 90s
                minStartInterval: 5s
                terminateGrace: 0s
                provisioner: {type: command, start: "vm-start $WORKER_NAME", stop: "vm-stop $WORKER_NAME"}
                exitOnWorker: true
            """)
        #expect(config.pools.map(\.name) == ["local", "vms"])
        #expect(
            config.pools[0].provisioner == .local() && config.pools[0].workerNames == ["local-1", "local-2", "local-3"])
        let vms = config.pools[1]
        #expect(vms.minIdle == 1 && vms.idleTimeout == .seconds(600) && vms.startTimeout == .seconds(90))
        #expect(vms.exitOnWorker && !config.pools[0].exitOnWorker)
        #expect(vms.minStartInterval == .seconds(5) && vms.terminateGrace == .zero)
        #expect(config.pools[0].minStartInterval == .zero && config.pools[0].terminateGrace == .seconds(30))
        #expect(vms.provisioner == .command(start: "vm-start $WORKER_NAME", stop: "vm-stop $WORKER_NAME"))
        let error = #expect(throws: ConfigError.self) {
            try loader.parse(
                """
                builders: [{name: b1}]
                pools:
                  - {name: p, builders: [ghost], maxWorkers: 0}
                  - {name: q, builders: [b1], maxWorkers: 2, minIdle: 3, provisioner: {type: cloud}}
                  - {name: r, builders: [b1], maxWorkers: 1, terminateGrace: -1s, minStartInterval: soon}
                  - {name: s, builders: [b1], maxWorkers: 2}
                  - {name: t, builders: [b1], maxWorkers: 1, basedir: pools/t}
                  - {name: u, builders: [b1], maxWorkers: 1, basedir: /srv/gantry/../gantry/u}
                  - {name: v, builders: [b1], maxWorkers: 1, basedir: /var/lib/gantry-pools/v}
                  - name: w
                    builders: [b1]
                    maxWorkers: 1
                    basedir: /var/w
                    provisioner: {type: command, start: a, stop: b}
                workers: [{name: s-2, password: x}]
                """)
        }
        #expect(
            error?.problems.map(\.description) == [
                "pools[0].builders: 'ghost' is not a builder of this configuration",
                "pools[0].maxWorkers: must be a positive number of workers",
                "pools[1].minIdle: must be a number of workers from 0 to maxWorkers",
                "pools[1].provisioner.type: must be local, command, docker or ssh",
                "pools[2].minStartInterval: must be a duration like 500ms, 2s, 5m or 1h",
                "pools[2].terminateGrace: must be a duration like 500ms, 2s, 5m or 1h",
                "pools[3].name: its worker 's-2' would have the name of a configured worker",
                "pools[4].basedir: must lie outside the configuration directory /srv/gantry",
                "pools[5].basedir: must lie outside the configuration directory /srv/gantry",
                "pools[7].basedir: only a local pool has a basedir",
            ])
    }

    /// A fresh directory for a configuration, with an empty `secrets` directory in it; the caller removes it.
    private func makeBasedir() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-cfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("secrets"), withIntermediateDirectories: true)
        return directory
    }

    @Test("secrets.directory must be a directory: a missing one or a file is an error naming its path")
    func secretsDirectory() throws {
        let basedir = try makeBasedir()
        defer { try? FileManager.default.removeItem(at: basedir) }
        try "not a directory".write(to: basedir.appendingPathComponent("file"), atomically: true, encoding: .utf8)
        let loader = ConfigLoader(basedir: basedir.path, hostname: "build1")
        #expect(try loader.parse("secrets: {directory: secrets}").secrets.directory == basedir.path + "/secrets")
        let absolute = basedir.appendingPathComponent("secrets").path
        #expect(try loader.parse("secrets: {directory: '\(absolute)'}").secrets.directory == absolute)

        let missing = #expect(throws: ConfigError.self) {
            try loader.parse("secrets: {directory: nowhere, environmentPrefix: GANTRY_SECRET_}")
        }
        #expect(missing?.problems.map(\.description) == ["secrets.directory: '\(basedir.path)/nowhere' does not exist"])
        let file = #expect(throws: ConfigError.self) {
            try loader.parse("secrets: {directory: '\(basedir.path)/file'}")
        }
        #expect(file?.problems.map(\.description) == ["secrets.directory: '\(basedir.path)/file' is not a directory"])

        // As `gantry checkconfig` loads it.
        let path = basedir.appendingPathComponent("master.yaml").path
        try "secrets: {directory: nowhere}\n".write(toFile: path, atomically: true, encoding: .utf8)
        let loaded = #expect(throws: ConfigError.self) { try ConfigLoader.load(file: path) }
        #expect(loaded?.problems.count == 1)
        #expect(loaded?.description.contains("secrets.directory: '") == true)
        #expect(loaded?.description.contains("/nowhere' does not exist") == true)
    }

    /// Every way a value gets printed: interpolation, `String(describing:)`, `String(reflecting:)` and `dump`.
    private func printed<T>(_ value: T) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        return ["\(value)", String(describing: value), String(reflecting: value), dumped]
    }

    @Test("secrets never print: the configuration and each type holding one show **** in descriptions and dumps")
    func secretsNeverPrint() throws {
        let basedir = try makeBasedir()
        defer { try? FileManager.default.removeItem(at: basedir) }
        try "file-pass-3\n".write(to: basedir.appendingPathComponent("wk2.pass"), atomically: true, encoding: .utf8)
        let config = try ConfigLoader(basedir: basedir.path, hostname: "build1").parse(
            """
            database: postgres://gantry:db-pass-1@db.example:5432/gantry
            changeHooks:
              base: {}
              github: {secret: github-secret-4}
              gitlab: {secret: gitlab-token-5}
            workers:
              - {name: wk1, password: worker-pass-2}
              - {name: wk2, passwordFile: wk2.pass}
            secrets: {directory: secrets, environmentPrefix: GANTRY_SECRET_}
            """)
        let secrets = ["db-pass-1", "worker-pass-2", "file-pass-3", "github-secret-4", "gitlab-token-5"]
        #expect(config.database == "postgres://gantry:db-pass-1@db.example:5432/gantry")
        #expect(config.workers.map(\.password) == ["worker-pass-2", "file-pass-3"])
        let github = try #require(config.changeHooks.github)
        let gitlab = try #require(config.changeHooks.gitlab)
        #expect(github.secret == "github-secret-4" && gitlab.secret == "gitlab-token-5")

        let holders: [(name: String, texts: [String])] = [
            ("MasterConfig", printed(config)), ("ChangeHooksConfig", printed(config.changeHooks)),
            ("HookSecret", printed(github)), ("HookSecret", printed(gitlab)),
            ("WorkerConfig", printed(config.workers[0])), ("WorkerConfig", printed(config.workers[1])),
            ("[WorkerConfig]", printed(config.workers)),
        ]
        for holder in holders {
            for text in holder.texts {
                #expect(text.contains("****"), "\(holder.name) masks its secrets: \(text)")
                for secret in secrets {
                    #expect(!text.contains(secret), "\(holder.name) shows '\(secret)': \(text)")
                }
            }
        }
        let described = String(describing: config)
        #expect(described.contains("postgres://gantry:****@db.example:5432/gantry"))
        #expect(described.contains("wk1") && described.contains("wk2"), "what is not secret still prints")
    }
}
