import Foundation
import GantryModel
import Yams

/// Reads the `changeSources` list.
extension ConfigReader {
    /// `- {type: gitpoller, repourl, name, branches, pollInterval, pollAtLaunch, category, project, onlyTags,
    /// buildPushesWithNoCommits, workdir, username, passwordSecret, sshPrivateKeySecret}`; a name defaults to the
    /// repository's URL, as in Buildbot, and names are unique.
    mutating func changeSources(_ node: Node?, basedir: String) -> [ChangeSourceConfig] {
        var sources: [ChangeSourceConfig] = []
        var names: Set<String> = []
        var workdirs: Set<String> = []
        let allowed: Set = [
            "type", "name", "repourl", "branches", "pollInterval", "pollAtLaunch", "category", "project", "onlyTags",
            "buildPushesWithNoCommits", "workdir", "username", "passwordSecret", "sshPrivateKeySecret",
        ]
        for (path, item) in listItems(node, key: "changeSources") {
            guard let mapping = item.mapping else {
                problem(path, "must be a mapping")
                continue
            }
            refuseUnknownKeys(mapping, allowed: allowed, at: path)
            switch string(mapping, "type", at: path) {
            case "gitpoller"?: break
            case nil: problem(join(path, "type"), "is required (gitpoller)")
            case let other?: problem(join(path, "type"), "'\(other)' is not a change source type (gitpoller)")
            }
            guard let repourl = string(mapping, "repourl", at: path) else {
                if mapping["repourl"] == nil { problem(join(path, "repourl"), "is required") }
                continue
            }
            if let url = URLComponents(string: repourl), url.password != nil {
                problem(
                    join(path, "repourl"),
                    "must not hold a password (it would reach git's command line, the changes and the logs); use "
                        + "username and passwordSecret")
                continue
            }
            let name = string(mapping, "name", at: path) ?? repourl
            if !names.insert(name).inserted { problem(join(path, "name"), "'\(name)' is used twice") }
            var settings = GitPollerSettings(repourl: repourl)
            if let branches = mapping["branches"] {
                settings.branches = self.branches(branches, at: join(path, "branches"))
            }
            settings.pollInterval = duration(mapping, "pollInterval", at: path) ?? settings.pollInterval
            settings.pollAtLaunch = flag(mapping, "pollAtLaunch", at: path) ?? settings.pollAtLaunch
            settings.category = string(mapping, "category", at: path)
            settings.project = string(mapping, "project", at: path) ?? settings.project
            settings.onlyTags = flag(mapping, "onlyTags", at: path) ?? settings.onlyTags
            if settings.onlyTags && mapping["branches"] != nil {
                problem(join(path, "onlyTags"), "polls tags only; it cannot go with 'branches'")
            }
            settings.buildPushesWithNoCommits =
                flag(mapping, "buildPushesWithNoCommits", at: path) ?? settings.buildPushesWithNoCommits
            settings.credentials = gitCredentials(mapping, at: path)
            let workdir = string(mapping, "workdir", at: path) ?? "gitpoller-work/\(Self.pathSafe(name))"
            settings.workdir = workdir.hasPrefix("/") ? workdir : basedir + "/" + workdir
            if let resolved = settings.workdir, !workdirs.insert(resolved).inserted {
                problem(join(path, "workdir"), "'\(resolved)' is another change source's too; give each its own")
            }
            sources.append(ChangeSourceConfig(name: name, kind: .gitPoller(settings)))
        }
        return sources
    }

    /// `all`, or a list of branch names, any of them a glob (`release/*`).
    private mutating func branches(_ node: Node, at path: String) -> GitPollerSettings.Branches {
        if node.string == "all" { return .all }
        let names = self.names(node, at: path)
        if names.isEmpty {
            problem(path, "must be 'all' or a list of at least one branch name or glob")
            return .remoteHead
        }
        guard names.contains(where: { $0.hasPrefix("re:") || $0.contains(where: "*?[".contains) }) else {
            return .names(names)
        }
        let patterns = globs(node, at: path)
        return patterns.count == names.count ? .patterns(patterns) : .remoteHead
    }

    /// `username` with `passwordSecret` (https), or `sshPrivateKeySecret` (ssh); none for a public repository.
    private mutating func gitCredentials(_ mapping: Node.Mapping, at path: String) -> GitPollerSettings.Credentials? {
        let user = string(mapping, "username", at: path)
        let password = secretName(mapping, "passwordSecret", at: path)
        let key = secretName(mapping, "sshPrivateKeySecret", at: path)
        switch (user, password, key) {
        case (nil, nil, nil):
            return nil
        case (let user?, let password?, nil):
            return .https(username: user, passwordSecret: password)
        case (nil, nil, let key?):
            return .ssh(privateKeySecret: key)
        default:
            problem(path, "give 'username' with 'passwordSecret' (https), or 'sshPrivateKeySecret' (ssh)")
            return nil
        }
    }

    /// A name made into one path component.
    private static func pathSafe(_ name: String) -> String {
        let safe = String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" })
        // `.` and `..` would name the directory itself or its parent.
        return safe.allSatisfy { $0 == "." } ? String(repeating: "_", count: safe.count) : safe
    }
}

extension ChangeSourceConfig {
    /// Whether it reads a secret (a password or a key).
    var needsSecret: Bool {
        switch kind {
        case .gitPoller(let settings): settings.credentials != nil
        }
    }
}
