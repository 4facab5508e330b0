import GantryModel
import Testing

@Suite("Collapsing build requests: the rule")
struct CollapseRuleTests {
    /// Request `id` of its own buildset (unless given), on codebase "" at `main` of `repo`, revision `rev`.
    private func request(
        _ id: Int, buildset: Int? = nil, sources: [String: CollapseCandidate.Source]? = nil,
        properties: [String: JSONValue] = [:]
    ) -> CollapseCandidate {
        CollapseCandidate(
            id: id, buildsetID: buildset ?? id,
            sources: sources ?? ["": CollapseCandidate.Source(repository: "repo", branch: "main", revision: "rev")],
            buildsetProperties: properties)
    }

    private func source(
        repository: String = "repo", branch: String? = "main", project: String = "", revision: String? = "rev",
        patched: Bool = false, hasChanges: Bool = false
    ) -> CollapseCandidate.Source {
        CollapseCandidate.Source(
            repository: repository, branch: branch, project: project, revision: revision, patched: patched,
            hasChanges: hasChanges)
    }

    private let rule = CollapseRule.always

    @Test("same source and scheduler properties: the older collapses into the newer, never the other way")
    func newerOnly() {
        #expect(rule.canCollapse(request(1), into: request(2)))
        #expect(!rule.canCollapse(request(2), into: request(1)))
        #expect(!rule.canCollapse(request(1), into: request(1)))
    }

    @Test("requests of one buildset always collapse, whatever they build")
    func sameBuildset() {
        let other = ["": source(branch: "other")]
        #expect(rule.canCollapse(request(2, buildset: 7, sources: other), into: request(1, buildset: 7)))
        #expect(!CollapseRule.never.canCollapse(request(1, buildset: 7), into: request(2, buildset: 7)))
    }

    @Test("codebases, repository, branch and project must match")
    func sameSource() {
        let twoCodebases = ["": source(), "lib": source(repository: "lib")]
        #expect(!rule.canCollapse(request(1, sources: twoCodebases), into: request(2)))
        #expect(!rule.canCollapse(request(1, sources: ["app": source()]), into: request(2)))
        #expect(!rule.canCollapse(request(1, sources: ["": source(repository: "fork")]), into: request(2)))
        #expect(!rule.canCollapse(request(1, sources: ["": source(branch: "dev")]), into: request(2)))
        #expect(!rule.canCollapse(request(1, sources: ["": source(branch: nil)]), into: request(2)))
        #expect(!rule.canCollapse(request(1, sources: ["": source(project: "p")]), into: request(2)))
        #expect(rule.canCollapse(request(1, sources: twoCodebases), into: request(2, sources: twoCodebases)))
        #expect(rule.canCollapse(request(1, sources: [:]), into: request(2, sources: [:])))
    }

    @Test("a patch on either request prevents collapsing")
    func patches() {
        let patched = ["": source(patched: true)]
        #expect(!rule.canCollapse(request(1, sources: patched), into: request(2)))
        #expect(!rule.canCollapse(request(1), into: request(2, sources: patched)))
        #expect(!rule.canCollapse(request(1, sources: patched), into: request(2, sources: patched)))
    }

    @Test("with changes on both the revision may differ; changes on one only never collapse; without, revisions")
    func changesAndRevisions() {
        let changed = { (revision: String) in ["": self.source(revision: revision, hasChanges: true)] }
        #expect(rule.canCollapse(request(1, sources: changed("a")), into: request(2, sources: changed("b"))))
        #expect(!rule.canCollapse(request(1, sources: changed("rev")), into: request(2)))
        #expect(!rule.canCollapse(request(1), into: request(2, sources: changed("rev"))))
        #expect(!rule.canCollapse(request(1, sources: ["": source(revision: "a")]), into: request(2)))
        #expect(!rule.canCollapse(request(1, sources: ["": source(revision: nil)]), into: request(2)))
        let sameRevision = CollapseRule(sameRevision: true)
        #expect(!sameRevision.canCollapse(request(1, sources: changed("a")), into: request(2, sources: changed("b"))))
        #expect(sameRevision.canCollapse(request(1, sources: changed("a")), into: request(2, sources: changed("a"))))
    }

    @Test("scheduler properties must be equal; others, the scheduler's name and ignored ones may differ")
    func properties() {
        let nightly: [String: JSONValue] = ["mode": ["nightly", "Scheduler"], "scheduler": ["a", "Scheduler"]]
        let quick: [String: JSONValue] = ["mode": ["quick", "Scheduler"], "scheduler": ["b", "Scheduler"]]
        #expect(!rule.canCollapse(request(1, properties: nightly), into: request(2, properties: quick)))
        #expect(!rule.canCollapse(request(1, properties: nightly), into: request(2)))
        var renamed = nightly
        renamed["scheduler"] = ["c", "Scheduler"]
        renamed["owner"] = ["ada", "Force Build Form"]
        #expect(rule.canCollapse(request(1, properties: nightly), into: request(2, properties: renamed)))
        let ignoring = CollapseRule(ignoreProperties: ["mode"])
        #expect(ignoring.canCollapse(request(1, properties: nightly), into: request(2, properties: quick)))
        #expect(ignoring.canCollapse(request(1, properties: nightly), into: request(2)))
    }

    @Test("never: nothing collapses")
    func never() {
        #expect(!CollapseRule.never.canCollapse(request(1), into: request(2)))
        let group = CollapseRule.never.group(for: request(1), among: [request(2), request(3)])
        #expect(group == CollapseGroup(built: 1, merged: []))
    }

    @Test("the group of a claimed request: the newest compatible one is built, the others merged into it")
    func group() {
        let dev = ["": source(branch: "dev")]
        let pending = [request(2), request(3, sources: dev), request(4), request(5, sources: dev)]
        #expect(rule.group(for: request(1), among: pending) == CollapseGroup(built: 4, merged: [1, 2]))
        #expect(rule.group(for: request(4), among: [request(1)] + pending) == CollapseGroup(built: 4, merged: [1, 2]))
        #expect(rule.group(for: request(3, sources: dev), among: pending) == CollapseGroup(built: 5, merged: [3]))
        #expect(rule.group(for: request(6, sources: ["": source(branch: "x")]), among: pending).merged.isEmpty)
    }
}
