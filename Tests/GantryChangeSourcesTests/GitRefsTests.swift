import GantryModel
import GantryTesting
import Testing

@testable import GantryChangeSources

@Suite("GitPoller's refs", .paced)
struct GitRefsTests {
    private let a = String(repeating: "a", count: 40)
    private let b = String(repeating: "b", count: 40)
    private let c = String(repeating: "c", count: 40)
    private let d = String(repeating: "d", count: 40)
    private let url = "https://git.example.org/r.git"

    private var listing: GitRefs {
        GitRefs(refs: [
            GitRef(name: "HEAD", sha: a), GitRef(name: "refs/heads/main", sha: a),
            GitRef(name: "refs/heads/release/1.0", sha: b), GitRef(name: "refs/heads/xrelease/2.0", sha: c),
            GitRef(name: "refs/notes/commits", sha: c), GitRef(name: "refs/tags/v1", sha: d),
        ])
    }

    @Test("ls-remote output: refs in order, HEAD's branch from --symref; peeled tags and other lines skipped")
    func parse() {
        let output = """
            ref: refs/heads/main\tHEAD
            \(a)\tHEAD
            \(a)\trefs/heads/main
            \(d)\trefs/tags/v1
            \(b)\trefs/tags/v1^{}
            warning: redirecting to https://elsewhere/
            xyz\trefs/heads/bad
            \(String(repeating: "e", count: 64))\trefs/heads/sha256

            """
        let refs = GitRefs(lsRemote: output)
        #expect(refs.head == "refs/heads/main")
        #expect(
            refs.refs == [
                GitRef(name: "HEAD", sha: a), GitRef(name: "refs/heads/main", sha: a),
                GitRef(name: "refs/tags/v1", sha: d),
                GitRef(name: "refs/heads/sha256", sha: String(repeating: "e", count: 64)),
            ])
    }

    @Test("the remote's HEAD is watched by the branch it names, or as HEAD when the server does not say")
    func remoteHead() {
        let settings = GitPollerSettings(repourl: url)
        var named = listing
        named.head = "refs/heads/main"
        #expect(named.selected(by: settings) == [GitRef(name: "refs/heads/main", sha: a)])
        #expect(listing.selected(by: settings) == [GitRef(name: "HEAD", sha: a)])
        #expect(GitRefs(refs: []).selected(by: settings).isEmpty, "an empty repository")
    }

    @Test("all branches, names, patterns matched whole, or only tags")
    func selection() throws {
        func names(_ settings: GitPollerSettings) -> [String] { listing.selected(by: settings).map(\.name) }
        #expect(
            names(GitPollerSettings(repourl: url, branches: .all)) == [
                "refs/heads/main", "refs/heads/release/1.0", "refs/heads/xrelease/2.0",
            ])
        #expect(
            names(GitPollerSettings(repourl: url, branches: .names(["release/1.0", "gone", "v1"])))
                == ["refs/heads/release/1.0"])
        let release = try Pattern(glob: "release/*")
        #expect(names(GitPollerSettings(repourl: url, branches: .patterns([release]))) == ["refs/heads/release/1.0"])
        #expect(names(GitPollerSettings(repourl: url, onlyTags: true)) == ["refs/tags/v1"])
    }

    @Test("ls-remote is asked for what is watched, the URL after --")
    func listArguments() {
        #expect(
            GitRefs.listArguments(for: GitPollerSettings(repourl: url)) == ["--symref", "--", url, "HEAD"])
        #expect(
            GitRefs.listArguments(for: GitPollerSettings(repourl: url, branches: .all))
                == ["--refs", "--", url, "refs/heads/*"])
        #expect(
            GitRefs.listArguments(for: GitPollerSettings(repourl: url, branches: .names(["main", "dev"])))
                == ["--refs", "--", url, "refs/heads/main", "refs/heads/dev"])
        #expect(
            GitRefs.listArguments(for: GitPollerSettings(repourl: url, onlyTags: true))
                == ["--refs", "--", url, "refs/tags/*"])
    }

    @Test("changes are on Buildbot's branch names; the poller's copy keeps refs under refs/gantry")
    func naming() {
        #expect(GitRefs.changeBranch(of: "refs/heads/release/1.0") == "release/1.0")
        #expect(GitRefs.changeBranch(of: "refs/tags/v1") == "refs/tags/v1")
        #expect(GitRefs.changeBranch(of: "HEAD") == nil)
        #expect(GitRefs.trackingRef(for: "refs/heads/main") == "refs/gantry/heads/main")
        #expect(GitRefs.trackingRef(for: "refs/tags/v1") == "refs/gantry/tags/v1")
        #expect(GitRefs.trackingRef(for: "HEAD") == "refs/gantry/raw/HEAD")
    }
}
