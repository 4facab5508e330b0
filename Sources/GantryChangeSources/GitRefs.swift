import GantryModel

/// A ref of the remote and the object it names: a commit, or for an annotated tag the tag object.
struct GitRef: Sendable, Hashable {
    let name: String
    let sha: String
}

/// The refs `git ls-remote` lists, which of them a poller watches, and the branch names its changes carry: those
/// of Buildbot's GitPoller.
struct GitRefs: Sendable, Hashable {
    /// In the order listed: git sorts them by name.
    var refs: [GitRef]
    /// The ref HEAD points to, when listed with `--symref` and the server says.
    var head: String?

    init(refs: [GitRef], head: String? = nil) {
        self.refs = refs
        self.head = head
    }

    /// Reads `<sha> TAB <ref>` lines, and `ref: <target> TAB HEAD` from `--symref`; peeled tags (`^{}`) and lines
    /// of any other shape are skipped.
    init(lsRemote output: String) {
        var refs: [GitRef] = []
        var head: String?
        for line in output.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: "\t", maxSplits: 1)
            guard fields.count == 2 else { continue }
            let (object, name) = (String(fields[0]), String(fields[1]))
            if object.hasPrefix("ref: ") {
                if name == "HEAD" { head = String(object.dropFirst("ref: ".count)) }
            } else if Self.isObjectName(object), !name.hasSuffix("^{}") {
                refs.append(GitRef(name: name, sha: object))
            }
        }
        self.init(refs: refs, head: head)
    }

    /// The `git ls-remote` arguments that list what `settings` watch, narrowed by the server where it can.
    static func listArguments(for settings: GitPollerSettings) -> [String] {
        let url = ["--", settings.repourl]
        if settings.onlyTags { return ["--refs"] + url + ["refs/tags/*"] }
        switch settings.branches {
        case .remoteHead: return ["--symref"] + url + ["HEAD"]
        case .all, .patterns: return ["--refs"] + url + ["refs/heads/*"]
        case .names(let names): return ["--refs"] + url + names.map { Self.branchPrefix + $0 }
        }
    }

    /// The refs `settings` watch, in the order listed. ls-remote matches its patterns on the refs' last
    /// components, so each ref is checked whole here.
    func selected(by settings: GitPollerSettings) -> [GitRef] {
        if settings.onlyTags { return refs.filter { $0.name.hasPrefix(Self.tagPrefix) } }
        let branches = refs.filter { $0.name.hasPrefix(Self.branchPrefix) }
        switch settings.branches {
        case .remoteHead:
            guard let remoteHead = refs.first(where: { $0.name == "HEAD" }) else { return [] }
            // A server that does not say which branch HEAD names (an old one) leaves HEAD itself to watch.
            return [GitRef(name: head ?? "HEAD", sha: remoteHead.sha)]
        case .all:
            return branches
        case .names(let names):
            let wanted = Set(names.map { Self.branchPrefix + $0 })
            return branches.filter { wanted.contains($0.name) }
        case .patterns(let patterns):
            return branches.filter { ref in
                let branch = String(ref.name.dropFirst(Self.branchPrefix.count))
                return patterns.contains { $0.matchesWhole(branch) }
            }
        }
    }

    /// The branch of a change on `ref`, as Buildbot's GitPoller names it: a branch without `refs/heads/`, any
    /// other ref (a tag) by its full name; HEAD, when the server named no branch, is the default branch (nil).
    static func changeBranch(of ref: String) -> String? {
        if ref == "HEAD" { return nil }
        return ref.hasPrefix(branchPrefix) ? String(ref.dropFirst(branchPrefix.count)) : ref
    }

    /// Where the poller's copy keeps `ref`: under `refs/gantry/`, so nothing of the remote's own naming collides.
    static func trackingRef(for ref: String) -> String {
        ref.hasPrefix("refs/") ? "refs/gantry/" + String(ref.dropFirst("refs/".count)) : "refs/gantry/raw/" + ref
    }

    /// Whether `text` is a full object name: 40 (SHA-1) or 64 (SHA-256) lowercase hexadecimal digits.
    static func isObjectName(_ text: some StringProtocol) -> Bool {
        (text.utf8.count == 40 || text.utf8.count == 64)
            && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    static let branchPrefix = "refs/heads/"
    static let tagPrefix = "refs/tags/"
}
