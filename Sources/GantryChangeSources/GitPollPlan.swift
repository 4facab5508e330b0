import GantryModel

/// What one poll does, decided from the heads recorded by the last poll and those the remote lists now: which
/// refs to report, which to drop, the state written with the changes, and how to find each ref's new commits.
///
/// As Buildbot's GitPoller: the first poll only records the heads, so history is never replayed; a ref's new
/// commits are its first-parent commits that no head known before it reaches (the ref's previous head, every other
/// ref's, and the new heads of the refs reported before it in the same poll), so a force-push yields the new
/// commits only and a new branch only the commits no other branch has. A poll that stopped part way through a
/// ref's commits left the last one it recorded as the ref's head, so the next walk goes on after it.
struct GitPollPlan: Sendable, Equatable {
    /// How to find the commits a changed ref reports.
    enum Walk: Sendable, Equatable {
        /// The first-parent commits from `head` that none of `excluding` reaches, oldest first.
        case commits(head: String, excluding: [String])
        /// The head commit alone: the commits already reported cannot be told apart, because the ref's previous
        /// head is not in this master's copy (a force-push first seen by a fresh copy) or no known head is.
        case headOnly(String)
        /// Nothing to report: the ref names no commit (a tag of a tree).
        case nothing
    }

    /// The heads recorded by the last poll, by ref; nil before the first poll.
    let recorded: [String: String]?
    /// The refs to report, new or moved, in the remote's order.
    let changed: [GitRef]
    /// Refs recorded last time that the remote no longer lists: dropped from the state, with no change.
    let deleted: [String]
    /// Every watched ref's head now: the state once the poll has written all it reports.
    let state: [String: String]
    /// The heads recorded last time, each once: what they reach has been reported, or was history when polling
    /// began.
    let knownHeads: [String]

    init(recorded: [String: String]?, remote: [GitRef]) {
        let previous = recorded ?? [:]
        let now = Dictionary(remote.map { ($0.name, $0.sha) }, uniquingKeysWith: { first, _ in first })
        self.recorded = recorded
        changed = recorded == nil ? [] : remote.filter { previous[$0.name] != $0.sha }
        deleted = previous.keys.filter { now[$0] == nil }.sorted()
        state = now
        knownHeads = Set(previous.values).sorted()
    }

    /// Whether this is the first poll: the heads are recorded, and nothing is reported.
    var isFirstPoll: Bool { recorded == nil }

    /// Whether the poll has anything to write.
    var writesState: Bool { isFirstPoll || !changed.isEmpty || !deleted.isEmpty }

    /// The heads whose commits the walks need: the known ones and the changed refs' new ones.
    var headsToResolve: [String] { Array(Set(knownHeads + changed.map(\.sha))).sorted() }

    /// How to find the commits of `changed[index]`, given `commits`: each head of ``headsToResolve`` that is in
    /// the local copy, with the commit it names (a tag's, for an annotated tag).
    func walk(_ index: Int, commits: [String: String]) -> Walk {
        let ref = changed[index]
        guard let head = commits[ref.sha] else { return .nothing }
        if let previous = recorded?[ref.name], commits[previous] == nil { return .headOnly(head) }
        let excluded = Set((knownHeads + changed[..<index].map(\.sha)).compactMap { commits[$0] })
        guard !excluded.isEmpty else { return .headOnly(head) }
        return .commits(head: head, excluding: excluded.sorted())
    }

    /// The `lastRev` state that records `heads`, by full ref name.
    static func stateValue(of heads: [String: String]) -> JSONValue {
        .object(heads.mapValues { .string($0) })
    }

    /// The heads of a stored `lastRev` state, by full ref name; nil when there is none (or it is not an object of
    /// texts, which the next write replaces). Buildbot keys the branches it was given by name alone: those are
    /// read as `refs/heads/NAME`.
    static func recordedHeads(from state: JSONValue?) -> [String: String]? {
        guard case .object(let entries)? = state else { return nil }
        var heads: [String: String] = [:]
        for (key, value) in entries {
            guard let sha = value.string else { continue }
            heads[key == "HEAD" || key.hasPrefix("refs/") ? key : GitRefs.branchPrefix + key] = sha
        }
        return heads
    }
}
