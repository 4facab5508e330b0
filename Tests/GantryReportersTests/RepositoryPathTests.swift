import GantryTesting
import Testing

@testable import GantryReporters

@Suite("Repository paths from source stamp URLs", .paced)
struct RepositoryPathTests {
    @Test("HTTPS, SSH, git and scp-like URLs give the host and the path, without .git or credentials")
    func forms() {
        let cases: [(String, String, String)] = [
            ("https://github.com/acme/widget", "github.com", "acme/widget"),
            ("https://github.com/acme/widget.git", "github.com", "acme/widget"),
            ("https://ada:pw@github.com/acme/widget/", "github.com", "acme/widget"),
            ("http://gitea.local:3000/acme/widget.git", "gitea.local", "acme/widget"),
            ("ssh://git@github.com:22/acme/widget.git", "github.com", "acme/widget"),
            ("git://git.example.org/acme/widget", "git.example.org", "acme/widget"),
            ("git@github.com:acme/widget.git", "github.com", "acme/widget"),
            ("https://[::1]:8443/acme/widget", "[::1]", "acme/widget"),
            ("https://gitlab.example.com/group/sub/project.git", "gitlab.example.com", "group/sub/project"),
        ]
        for (url, host, path) in cases {
            let parsed = RepositoryPath(url: url)
            #expect(parsed?.host == host, "\(url)")
            #expect(parsed?.path == path, "\(url)")
        }
    }

    @Test("a nested GitLab path: the groups are the owner, the last part the name")
    func nested() {
        let parsed = RepositoryPath(url: "git@gitlab.example.com:group/sub/project.git")
        #expect(parsed?.components == ["group", "sub", "project"])
        #expect(parsed?.owner == "group/sub")
        #expect(parsed?.name == "project")
    }

    @Test("local paths, file URLs and URLs without an owner name no repository")
    func refused() {
        let urls = [
            "/srv/git/acme/widget.git", "file:///srv/git/acme/widget.git", "https://github.com/widget", "widget",
            "C:/repos/acme/widget", "https://github.com/acme/.git", "https:///acme/widget", "",
        ]
        for url in urls {
            #expect(RepositoryPath(url: url) == nil, "\(url)")
        }
    }
}
