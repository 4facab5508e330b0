import GantryModel
import GantryTesting
import Testing

@testable import GantryChangeSources

@Suite("GitPoller's poll plan", .paced)
struct GitPollPlanTests {
    private let a = String(repeating: "a", count: 40)
    private let b = String(repeating: "b", count: 40)
    private let c = String(repeating: "c", count: 40)
    private let d = String(repeating: "d", count: 40)
    private let tag = String(repeating: "f", count: 40)

    @Test("the first poll records every head and reports nothing")
    func firstPoll() {
        let plan = GitPollPlan(recorded: nil, remote: [GitRef(name: "refs/heads/main", sha: a)])
        #expect(plan.isFirstPoll && plan.writesState)
        #expect(plan.changed.isEmpty && plan.deleted.isEmpty && plan.knownHeads.isEmpty)
        #expect(plan.state == ["refs/heads/main": a])
        #expect(GitPollPlan.stateValue(of: plan.state) == ["refs/heads/main": .string(a)])
    }

    @Test("new and moved refs are reported in the remote's order, gone ones dropped; nothing new writes nothing")
    func changedAndDeleted() {
        let recorded = ["refs/heads/dev": a, "refs/heads/main": b, "refs/heads/old": c]
        let remote = [
            GitRef(name: "refs/heads/dev", sha: a), GitRef(name: "refs/heads/main", sha: d),
            GitRef(name: "refs/heads/new", sha: d),
        ]
        let plan = GitPollPlan(recorded: recorded, remote: remote)
        #expect(!plan.isFirstPoll && plan.writesState)
        #expect(plan.changed.map(\.name) == ["refs/heads/main", "refs/heads/new"])
        #expect(plan.deleted == ["refs/heads/old"])
        #expect(plan.state == ["refs/heads/dev": a, "refs/heads/main": d, "refs/heads/new": d])
        #expect(plan.knownHeads == [a, b, c])
        #expect(plan.headsToResolve == [a, b, c, d])

        let unchanged = GitPollPlan(recorded: ["refs/heads/dev": a], remote: [GitRef(name: "refs/heads/dev", sha: a)])
        #expect(!unchanged.writesState)
        #expect(GitPollPlan(recorded: ["refs/heads/dev": a], remote: []).writesState, "a deletion is written")
    }

    @Test("a ref's walk excludes every known head and the new heads of the refs before it")
    func walks() {
        let plan = GitPollPlan(
            recorded: ["refs/heads/main": a],
            remote: [GitRef(name: "refs/heads/feature", sha: b), GitRef(name: "refs/heads/main", sha: c)])
        let commits = [a: a, b: b, c: c]
        #expect(plan.walk(0, commits: commits) == .commits(head: b, excluding: [a]))
        #expect(plan.walk(1, commits: commits) == .commits(head: c, excluding: [a, b]))
    }

    @Test("an annotated tag walks from its commit, and excludes by commit")
    func annotatedTags() {
        let plan = GitPollPlan(
            recorded: ["refs/tags/v1": tag],
            remote: [GitRef(name: "refs/tags/v1", sha: tag), GitRef(name: "refs/tags/v2", sha: b)])
        #expect(plan.walk(0, commits: [tag: a, b: b]) == .commits(head: b, excluding: [a]))
    }

    @Test("the head alone when what was reported cannot be told apart; nothing when the ref names no commit")
    func headOnly() {
        let moved = GitPollPlan(
            recorded: ["refs/heads/main": a, "refs/heads/dev": b], remote: [GitRef(name: "refs/heads/main", sha: c)])
        #expect(moved.walk(0, commits: [b: b, c: c]) == .headOnly(c), "the previous head is not in the copy")
        #expect(moved.walk(0, commits: [a: a, b: b, c: c]) == .commits(head: c, excluding: [a, b]))

        let fromNothing = GitPollPlan(recorded: [:], remote: [GitRef(name: "refs/tags/v1", sha: tag)])
        #expect(fromNothing.walk(0, commits: [tag: a]) == .headOnly(a), "no head was known")

        let tree = GitPollPlan(recorded: ["refs/heads/main": a], remote: [GitRef(name: "refs/tags/tree", sha: d)])
        #expect(tree.walk(0, commits: [a: a]) == .nothing)
    }

    @Test("the stored state is read by full ref name, Buildbot's branch-name keys included; anything else is none")
    func recordedHeads() {
        let stored: JSONValue = ["main": .string(a), "refs/tags/v1": .string(b), "HEAD": .string(c), "bad": 3]
        #expect(
            GitPollPlan.recordedHeads(from: stored) == ["refs/heads/main": a, "refs/tags/v1": b, "HEAD": c])
        #expect(GitPollPlan.recordedHeads(from: nil) == nil)
        #expect(GitPollPlan.recordedHeads(from: .string("junk")) == nil)
        #expect(GitPollPlan.recordedHeads(from: [:]) == [:])
    }
}
