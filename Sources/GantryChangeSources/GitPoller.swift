import Foundation
public import GantryCluster
public import GantryModel
public import GantryStorage
public import Logging

/// Buildbot's `GitPoller`: polls a remote git repository and records its new commits as changes.
///
/// The heads seen last are kept in the poller's state (`lastRev`, Buildbot's key) and written in the same fenced
/// transaction as the changes they produced, at most ``chunkSize`` commits at a time (``GitPollWriter``), so a poll
/// that fails part way, or a master that takes the poller over, goes on from the last write, neither losing nor
/// repeating a commit; a deposed master writes nothing, and a restart does not replay history. ``GitPollPlan``
/// decides which commits a poll reports; git runs as a child process on a copy of the repository in `workdir`.
public struct GitPoller: ClusteredServiceBehavior {
    public let kind = ServiceKind.changeSource
    public let name: String
    public let settings: GitPollerSettings
    let database: Database
    let secrets: SecretStore
    /// The poller's directory, for its copy of the repository and its ssh key.
    let workdir: String
    let clock: any Clock<Duration>
    let logger: Logger

    /// The class name the poller's state is kept under, as in Buildbot.
    static let className = "GitPoller"
    /// The state key of the heads seen last, as in Buildbot.
    static let stateKey = "lastRev"
    /// The most commits a write records: a write is one transaction, which the database ends after
    /// `Database.transactionTimeLimit`. Lowered by tests.
    var chunkSize = 500

    /// - Parameter workdir: The poller's own directory, absolute.
    public init(
        name: String, settings: GitPollerSettings, database: Database, secrets: SecretStore, workdir: String,
        clock: any Clock<Duration>, logger: Logger
    ) {
        self.name = name
        self.settings = settings
        self.database = database
        self.secrets = secrets
        self.workdir = workdir
        self.clock = clock
        var logger = logger
        logger[metadataKey: LogKey.service] = "\(ServiceKind.changeSource.rawValue):\(name)"
        self.logger = logger
    }

    /// Polls at once when `pollAtLaunch`, then every `pollInterval`. A failed poll is logged and the next one
    /// tries again; only losing the claim ends the loop.
    public func runWhileActive(fence: ClaimFence) async {
        if !settings.pollAtLaunch, (try? await clock.sleep(for: settings.pollInterval)) == nil { return }
        while !Task.isCancelled {
            do {
                try await poll(fence: fence)
            } catch is CancellationError {
                return
            } catch let error as GantryError where error.code == .fenced {
                logger.warning("poll refused: this master no longer holds the change source")
                return
            } catch {
                // Deactivation kills a running git: that is no failure to report.
                if Task.isCancelled { return }
                logger.error("polling failed; polling again later", metadata: [LogKey.error: "\(error)"])
            }
            guard (try? await clock.sleep(for: settings.pollInterval)) != nil else { return }
        }
    }

    /// One poll: lists the remote's refs, reports the watched ones' new commits, and records their heads.
    /// - Returns: The ids of the changes recorded.
    @discardableResult
    func poll(fence: ClaimFence) async throws -> [Int] {
        let git = try GitRunner(settings: settings, secrets: secrets, workdir: workdir)
        let listing = GitRefs(lsRemote: try await git.run("ls-remote", GitRefs.listArguments(for: settings)))
        let remote = listing.selected(by: settings)
        let objectID = try await database.state.getObjectId(name, className: Self.className)
        let stored = try await database.state.getVersionedState(objectID, Self.stateKey)
        let plan = GitPollPlan(recorded: GitPollPlan.recordedHeads(from: stored?.value), remote: remote)
        // The copy holds every head recorded, so later walks can exclude them: fetched on the first poll, on a
        // new copy, and whenever a ref moved.
        if !remote.isEmpty, plan.isFirstPoll || !plan.changed.isEmpty || !hasCopy {
            try await fetch(remote, git: git)
        }
        guard plan.writesState else { return [] }
        var writer = GitPollWriter(
            database: database, objectID: objectID, fence: fence, stored: plan.recorded, version: stored?.version ?? 0)
        var ids: [Int] = []
        if !plan.changed.isEmpty {
            let commits = try await resolve(plan.headsToResolve, git: git)
            for index in plan.changed.indices {
                ids += try await report(plan.changed[index], plan.walk(index, commits: commits), git: git, to: &writer)
            }
        }
        // Written after every part: the first poll's heads, those of refs with nothing to report, and the deleted
        // refs' removal (until then their heads still bound the walks of a poll that goes on from a part).
        if writer.heads != plan.state { _ = try await writer.write([], heads: plan.state) }
        if plan.isFirstPoll {
            logger.info("recorded the heads of the watched refs", metadata: [LogKey.detail: "\(remote.count) refs"])
        } else if !ids.isEmpty {
            logger.info("new changes", metadata: [LogKey.detail: "\(ids.count) changes"])
        }
        return ids
    }

    /// Records the changes `walk` finds on `ref`, oldest first, at most ``chunkSize`` in a write. Each write records
    /// as the ref's head its last commit (the ref's own head for the last), the other refs' heads as they are, so
    /// the walk of the next poll goes on from the last write.
    /// - Returns: The ids of the changes recorded.
    private func report(_ ref: GitRef, _ walk: GitPollPlan.Walk, git: GitRunner, to writer: inout GitPollWriter)
        async throws -> [Int]
    {
        let shas = try await revisions(walk, git: git)
        var ids: [Int] = []
        for start in stride(from: 0, to: shas.count, by: chunkSize) {
            let chunk = shas[start..<min(start + chunkSize, shas.count)]
            var heads = writer.heads ?? [:]
            // The last part records the head as listed (an annotated tag's own object), or the next poll would
            // see the ref as moved; an earlier part, its last commit, after which the next walk goes on.
            heads[ref.name] = chunk.endIndex == shas.endIndex ? ref.sha : chunk.last
            ids += try await writer.write(try await changes(chunk, on: ref, git: git), heads: heads)
        }
        return ids
    }

    /// The commits `walk` reports, oldest first.
    private func revisions(_ walk: GitPollPlan.Walk, git: GitRunner) async throws -> [String] {
        switch walk {
        case .nothing:
            return []
        case .headOnly(let head):
            return [head]
        case .commits(let head, let excluding):
            let input = ([head] + excluding.map { "^" + $0 }).joined(separator: "\n") + "\n"
            let listed = try await git.run(
                "rev-list", ["--reverse", "--first-parent", "--ignore-missing", "--stdin"], gitDir: repository,
                input: input
            ).split(whereSeparator: \.isNewline).map(String.init)
            return listed.isEmpty && settings.buildPushesWithNoCommits ? [head] : listed
        }
    }

    /// The changes the commits `shas` make on `ref`, in order, read from the copy with one `git log`.
    private func changes(_ shas: ArraySlice<String>, on ref: GitRef, git: GitRunner) async throws -> [NewChange] {
        let output = try await git.run(
            "log", GitLogParser.arguments, gitDir: repository, input: shas.joined(separator: "\n") + "\n")
        let details = Dictionary(
            try GitLogParser.parse(output).map { ($0.sha, $0) }, uniquingKeysWith: { first, _ in first })
        return try shas.map { sha in
            guard let commit = details[sha] else { throw GitError.unreadableOutput(command: "log") }
            return change(commit, on: ref)
        }
    }

    /// The poller's bare copy of the repository.
    private var repository: String { workdir + "/repository.git" }

    private var hasCopy: Bool { FileManager.default.fileExists(atPath: repository + "/HEAD") }

    /// Fetches the watched refs into the copy (made on first use), each to its tracking ref.
    private func fetch(_ remote: [GitRef], git: GitRunner) async throws {
        if !hasCopy { _ = try await git.run("init", ["--quiet", "--bare", repository]) }
        let refspecs = remote.map { "+\($0.name):\(GitRefs.trackingRef(for: $0.name))\n" }.joined()
        _ = try await git.run(
            "fetch", ["--quiet", "--no-tags", "--no-write-fetch-head", "--stdin", "--", settings.repourl],
            gitDir: repository, input: refspecs)
    }

    /// The commit each of `heads` names, for those in the copy (an annotated tag names its tag's commit).
    private func resolve(_ heads: [String], git: GitRunner) async throws -> [String: String] {
        let output = try await git.run(
            "cat-file", ["--batch-check=%(objectname)"], gitDir: repository,
            input: heads.map { $0 + "^{commit}\n" }.joined())
        var commits: [String: String] = [:]
        for (head, line) in zip(heads, output.split(whereSeparator: \.isNewline)) where GitRefs.isObjectName(line) {
            commits[head] = String(line)
        }
        return commits
    }

    /// The change `commit` makes on `ref`, with the fields Buildbot's GitPoller gives it.
    private func change(_ commit: GitCommit, on ref: GitRef) -> NewChange {
        NewChange(
            author: commit.author, committer: commit.committer, comments: commit.message, files: commit.files,
            revision: commit.sha, revlink: "", branch: GitRefs.changeBranch(of: ref.name),
            repository: settings.repourl, project: settings.project, category: settings.category,
            when: Date(timeIntervalSince1970: TimeInterval(commit.timestamp)))
    }
}
