import Foundation
import GantryBuilds
import GantryModel
import GantryStorage
import GantryTesting
import GantryWorkers
import Testing

/// Every kind of step, run by `BuildRunner` on an unmodified buildbot-worker 4.3.
@Suite(
    "Steps on a real buildbot-worker", .paced,
    .enabled(if: BuildbotWorkerProcess.executable != nil, "GANTRY_TEST_BUILDBOT_WORKER is not set"),
    .timeLimit(.minutes(3))
)
struct StepsTests {
    /// Runs `steps` as one build of `b1` on a fresh worker; the build's id and result.
    private func build(
        _ steps: [Step], sourceStamps: [SourceStampFields] = [], secrets: SecretStore = SecretStore(),
        in db: Database
    ) async throws -> (buildID: Int, results: BuildResult) {
        try await WorkerPortHarness.withPort(passwords: ["wk1": "pass1"]) { harness in
            let (worker, link, info) = try await harness.connect(name: "wk1", password: "pass1")
            defer { Task { await worker.stop() } }
            let (master, workerID, request) = try await claimedRequest(
                in: db, sourceStamps: sourceStamps, properties: ["scheduler": ["force", "Scheduler"]])
            let runner = BuildRunner(database: db, masterID: master, logger: silentLogger, secrets: secrets)
            var job = BuildRunner.Assignment(
                request: request, builderName: "b1", workerID: workerID, link: link, info: info, steps: steps)
            job.properties = ["arch": "x86_64"]
            return try await runner.run(job)
        }
    }

    private func log(of step: Int, build: Int, in db: Database) async throws -> String {
        let steps = try await db.steps.getSteps(buildid: build)
        let log = try #require(try await db.logs.getLogs(stepid: steps[step].id).first)
        return try await db.logs.getLogLines(log.id, first: 0, last: log.numLines)
    }

    @Test("SetPropertyFromCommand, interpolated properties and secrets: secrets never reach the logs")
    func propertiesAndSecrets() async throws {
        try await withTestDatabase(.sqlite) { db in
            var version = Step(
                name: "version",
                action: .setPropertyFromCommand(ShellCommand(.shell("echo ' 1.2.3 '")), property: "version"))
            version.haltOnFailure = true
            var use = ShellCommand(
                .shell(
                    "echo v=%(prop:version)s on %(prop:buildername)s/%(prop:arch)s by %(prop:scheduler)s; echo $TOKEN"))
            use.env = ["TOKEN": "token=%(secret:token)s"]
            let secrets = SecretStore(environmentPrefix: "TEST_SECRET_", environment: ["TEST_SECRET_token": "hunter2"])
            let (buildID, results) = try await build(
                [
                    version, Step(name: "use", action: .shellCommand(use)),
                    .shell("missing", .shell("echo %(secret:nope)s")),
                ], secrets: secrets, in: db)
            #expect(results == .exception)
            let properties = try await db.builds.getBuildProperties(buildID)
            #expect(properties["version"] == ["1.2.3", "SetPropertyFromCommand Step"])
            #expect(properties["buildername"] == ["b1", "Build"] && properties["arch"] == ["x86_64", "Builder"])
            #expect(properties["scheduler"] == ["force", "Scheduler"] && properties["workername"] == ["wk1", "Build"])
            let used = try await log(of: 1, build: buildID, in: db)
            #expect(used.contains("ov=1.2.3 on b1/x86_64 by force\n") && used.contains("otoken=<token>\n"))
            #expect(!used.contains("hunter2"), "the secret is masked in output, command line and environment")
            #expect(try await log(of: 2, build: buildID, in: db).contains("hsecret 'nope' is not defined\n"))
            #expect(try await db.steps.getSteps(buildid: buildID).map(\.results) == [.success, .success, .exception])
        }
    }

    @Test("SetPropertyFromCommand with over 1 MiB of output sets nothing and says why; its log has it all")
    func outputTooLongForAProperty() async throws {
        try await withTestDatabase(.sqlite) { db in
            let huge = Step(
                name: "huge",
                action: .setPropertyFromCommand(
                    ShellCommand(.shell("seq 1 200000")), property: "blob"))
            let (buildID, results) = try await build([huge], in: db)
            #expect(results == .exception)
            #expect(try await db.builds.getBuildProperties(buildID)["blob"] == nil)
            let text = try await log(of: 0, build: buildID, in: db)
            #expect(text.contains("hthe command's standard output is over 1 MiB: too long for a property\n"))
            #expect(text.contains("o1\no2\n") && text.contains("o199999\no200000\n"))
        }
    }

    @Test("FileDownload, FileUpload and DirectoryUpload move the bytes both ways, delivered whole")
    func transfers() async throws {
        try await withTestDatabase(.sqlite) { db in
            let master = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-steps-\(UUID())")
            try FileManager.default.createDirectory(at: master, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: master) }
            let payload = Data((0..<200_000).map { _ in UInt8.random(in: 0...255) })
            try payload.write(to: master.appendingPathComponent("input.bin"))
            var download = FileDownload(mastersrc: master.path + "/input.bin", workerdest: "in/input.bin")
            download.mode = 0o640
            var upload = FileUpload(workersrc: "out/copy.bin", masterdest: master.path + "/copy.bin")
            upload.mode = 0o600
            let (buildID, results) = try await build(
                [
                    Step(name: "download", action: .fileDownload(download)),
                    .shell(
                        "make", .shell("mkdir -p out/sub && cp in/input.bin out/copy.bin && echo hi > out/sub/x.txt")),
                    Step(name: "upload", action: .fileUpload(upload)),
                    Step(
                        name: "upload dir",
                        action: .directoryUpload(DirectoryUpload(workersrc: "out", masterdest: master.path + "/out"))),
                    Step(
                        name: "missing",
                        action: .fileUpload(FileUpload(workersrc: "nothing", masterdest: master.path + "/nothing"))),
                ], in: db)
            let directoryLog = try await log(of: 3, build: buildID, in: db)
            #expect(results == .failure, "\(directoryLog)")
            #expect(
                try await db.steps.getSteps(buildid: buildID).map(\.results) == [
                    .success, .success, .success, .success, .failure,
                ])
            #expect(try Data(contentsOf: master.appendingPathComponent("copy.bin")) == payload)
            let mode = try FileManager.default.attributesOfItem(atPath: master.path + "/copy.bin")[.posixPermissions]
            #expect(mode as? Int == 0o600)
            #expect(try Data(contentsOf: master.appendingPathComponent("out/copy.bin")) == payload)
            #expect(try String(contentsOf: master.appendingPathComponent("out/sub/x.txt"), encoding: .utf8) == "hi\n")
            let left = try FileManager.default.contentsOfDirectory(atPath: master.path).sorted()
            #expect(left == ["copy.bin", "input.bin", "out"], "no partial file or staging directory is left")
        }
    }

    @Test("an upload the master refuses fails its step though the worker reported rc 0; maxsize is a limit")
    func refusedUploads() async throws {
        try await withTestDatabase(.sqlite) { db in
            let master = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-steps-\(UUID())")
            try FileManager.default.createDirectory(at: master, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: master) }
            var big = FileUpload(workersrc: "big.bin", masterdest: master.path + "/big.bin")
            big.maxsize = 1000
            var small = FileUpload(workersrc: "small.txt", masterdest: master.path + "/small.txt")
            small.maxsize = 1000
            var bigDirectory = DirectoryUpload(workersrc: "bigdir", masterdest: master.path + "/bigdir")
            bigDirectory.maxsize = 4096
            let links = DirectoryUpload(workersrc: "links", masterdest: master.path + "/links")
            let (buildID, results) = try await build(
                [
                    .shell(
                        "make",
                        .shell(
                            "mkdir -p links bigdir && ln -sf /etc/passwd links/passwd && head -c 2097152 /dev/zero > big.bin"
                                + " && cp big.bin bigdir/ && echo hi > small.txt")),
                    Step(name: "links", action: .directoryUpload(links)),
                    Step(name: "big", action: .fileUpload(big)),
                    Step(name: "big dir", action: .directoryUpload(bigDirectory)),
                    Step(name: "small", action: .fileUpload(small)),
                ], in: db)
            let linksLog = try await log(of: 1, build: buildID, in: db)
            #expect(results == .failure)
            #expect(
                try await db.steps.getSteps(buildid: buildID).map(\.results) == [
                    .success, .failure, .failure, .failure, .success,
                ], "\(linksLog)")
            #expect(linksLog.contains("refused to extract 'passwd'"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: master.path) == ["small.txt"])
        }
    }

    @Test("Git clones the source stamp's revision, then updates the clone incrementally; got_revision is set")
    func git() async throws {
        let repo = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-git-\(UUID())")
        defer { try? FileManager.default.removeItem(at: repo) }
        try FileManager.default.createDirectory(at: repo, withIntermediateDirectories: true)
        func git(_ arguments: String...) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments =
                ["git", "-C", repo.path, "-c", "user.name=t", "-c", "user.email=t@example.org"] + arguments
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        _ = try git("init", "-q", "-b", "main")
        try "one\n".write(to: repo.appendingPathComponent("file.txt"), atomically: true, encoding: .utf8)
        _ = try git("add", "file.txt")
        _ = try git("commit", "-q", "-m", "one")
        let first = try git("rev-parse", "HEAD")
        try "two\n".write(to: repo.appendingPathComponent("file.txt"), atomically: true, encoding: .utf8)
        _ = try git("commit", "-q", "-am", "two")
        let second = try git("rev-parse", "HEAD")

        try await withTestDatabase(.sqlite) { db in
            let checkout = Step(name: "git", action: .git(GitCheckout(repourl: repo.path)))
            let show = Step.shell("show", .shell("cat file.txt"))
            for (revision, content) in [(first, "one"), (second, "two")] {
                let (buildID, results) = try await build(
                    [checkout, show],
                    sourceStamps: [SourceStampFields(branch: "main", revision: revision, repository: repo.path)], in: db
                )
                #expect(results == .success)
                #expect(try await db.builds.getBuildProperties(buildID)["got_revision"] == [.string(revision), "Git"])
                #expect(try await log(of: 1, build: buildID, in: db).contains("o\(content)\n"))
            }

            // `fresh` removes what git does not track (and keeps the clone); `clobber` starts from a new clone.
            var fresh = GitCheckout(repourl: repo.path)
            fresh.mode = .full(method: .fresh)
            var clobber = GitCheckout(repourl: repo.path)
            clobber.mode = .full(method: .clobber)
            let (buildID, results) = try await build(
                [
                    checkout, .shell("dirty", .shell("touch junk.txt .git/marker")),
                    Step(name: "fresh", action: .git(fresh)),
                    .shell("after fresh", .shell("test ! -e junk.txt && test -e .git/marker && cat file.txt")),
                    Step(name: "clobber", action: .git(clobber)),
                    .shell("after clobber", .shell("test ! -e .git/marker && cat file.txt")),
                ],
                sourceStamps: [SourceStampFields(branch: "main", revision: first, repository: repo.path)], in: db)
            let afterFresh = try await log(of: 3, build: buildID, in: db)
            #expect(results == .success, "\(afterFresh)")
            #expect(afterFresh.contains("oone\n"))
            #expect(try await log(of: 5, build: buildID, in: db).contains("oone\n"))
        }
    }
}
