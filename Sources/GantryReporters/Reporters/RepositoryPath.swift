/// Where a repository lives on its code host, read from the URL a source stamp names it by: the host and the
/// path the host's API knows it by (`owner/repo`, or GitLab's `group/subgroup/project`).
struct RepositoryPath: Sendable, Hashable {
    /// The host, without user or port.
    var host: String
    /// The path's parts, at least two: the owner (or groups) and the repository.
    var components: [String]

    /// `owner/repo`, `group/sub/project`.
    var path: String { components.joined(separator: "/") }
    /// The owner, or the groups the project is in.
    var owner: String { components.dropLast().joined(separator: "/") }
    /// The repository's own name.
    var name: String { components[components.count - 1] }

    /// Reads `https://host/owner/repo(.git)`, `ssh://git@host:port/owner/repo.git`, `git://host/owner/repo`
    /// and scp-like `git@host:owner/repo.git`; nil for anything else (a local path, a `file://` URL, a URL
    /// with fewer than two path parts).
    init?(url: String) {
        let authority: Substring
        let path: Substring
        if let scheme = url.range(of: "://") {
            guard ["http", "https", "ssh", "git", "git+ssh"].contains(url[..<scheme.lowerBound].lowercased()) else {
                return nil
            }
            let rest = url[scheme.upperBound...]
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            authority = rest[..<slash]
            path = rest[slash...]
        } else {
            // scp-like: a colon before any slash; `C:/x` or a relative path has no user or no dot-free host.
            guard let colon = url.firstIndex(of: ":"), !url[..<colon].contains("/") else { return nil }
            authority = url[..<colon]
            path = url[url.index(after: colon)...]
            guard authority.contains("@") || authority.contains(".") else { return nil }
        }
        let hostAndPort = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? authority
        let host: Substring
        if hostAndPort.hasPrefix("["), let close = hostAndPort.firstIndex(of: "]") {
            host = hostAndPort[...close]
        } else {
            host = hostAndPort.prefix { $0 != ":" }
        }
        var components = path.split(separator: "/").map(String.init)
        if let name = components.last, name.hasSuffix(".git") {
            components[components.count - 1] = String(name.dropLast(4))
        }
        // Names as code hosts allow them (letters, digits, `.`, `-`, `_`): a component is put in an API path as
        // it is, so nothing in it may end the path or climb out of it.
        guard !host.isEmpty, components.count >= 2,
            components.allSatisfy({ Self.isName($0) && $0 != "." && $0 != ".." })
        else { return nil }
        self.host = String(host)
        self.components = components
    }

    private static func isName(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }
}
