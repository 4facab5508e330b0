import Foundation
import GantryModel
import Yams

/// Reads the `auth` section: who the master's users are, where their roles come from, and the rules.
extension ConfigReader {
    private static let authKeys: Set<String> = [
        "users", "htpasswd", "proxy", "roles", "rules", "anonymous", "sessionLifetime",
    ]

    /// `auth: {users, htpasswd, proxy, roles, rules, anonymous, sessionLifetime}`; `nil` when absent or not a
    /// mapping (the latter reported). The htpasswd file is relative to `basedir`.
    mutating func auth(_ node: Node?, basedir: String) -> AuthSettings? {
        guard let node else { return nil }
        guard let mapping = node.mapping else {
            problem("auth", "must be a mapping of users, htpasswd, proxy, roles, rules, anonymous and sessionLifetime")
            return nil
        }
        refuseUnknownKeys(mapping, allowed: Self.authKeys, at: "auth")
        var settings = AuthSettings()
        for account in userAccounts(mapping["users"]) {
            settings.users[account.name] = account
        }
        if let file = string(mapping, "htpasswd", at: "auth") {
            for account in htpasswdAccounts(file, basedir: basedir) {
                if settings.users[account.name] != nil {
                    problem("auth.htpasswd", "'\(account.name)' is also in auth.users; keep one of them")
                } else {
                    settings.users[account.name] = account
                }
            }
        }
        if let proxy = mapping["proxy"] { settings.proxy = proxyAuth(proxy) }
        settings.grants = roleGrants(mapping["roles"])
        if mapping["rules"] != nil { settings.policy.rules = accessRules(mapping["rules"]) }
        if let node = mapping["anonymous"] {
            if let value = node.string.flatMap(AccessPolicy.Anonymous.init(rawValue:)) {
                settings.policy.anonymous = value
            } else {
                problem("auth.anonymous", "must be read or none")
            }
        }
        settings.sessionLifetime = duration(mapping, "sessionLifetime", at: "auth") ?? settings.sessionLifetime
        return settings
    }

    /// `- {name, password, roles, groups}`: names unique, passwords bcrypt hashes.
    private mutating func userAccounts(_ node: Node?) -> [UserAccount] {
        var accounts: [UserAccount] = []
        var seen: Set<String> = []
        for (path, item) in listItems(node, key: "auth.users") {
            let allowed: Set = ["name", "password", "roles", "groups"]
            guard let entry = namedEntry(item, at: path, allowed: allowed, seen: &seen) else { continue }
            let mapping = entry.mapping
            if let name = entry.name, !UserAccount.isValidName(name) {
                problem(join(path, "name"), "must not hold ':' or control characters")
            }
            var hash: String?
            if let password = string(mapping, "password", at: path) {
                hash = UserAccount.bcryptHash(password)
                if hash == nil {
                    problem(
                        join(path, "password"),
                        "must be a bcrypt hash ($2b$...), never the password itself; gantry hash-password makes one")
                }
            } else if mapping["password"] == nil {
                problem(join(path, "password"), "is required")
            }
            let roles = roleNames(mapping["roles"], at: join(path, "roles"), owner: false)
            let groups = groupNames(mapping["groups"], at: join(path, "groups"))
            if let name = entry.name, UserAccount.isValidName(name), let hash {
                accounts.append(UserAccount(name: name, passwordHash: hash, roles: roles, groups: groups))
            }
        }
        return accounts
    }

    /// The accounts of the htpasswd file `file`; each line it cannot take is reported by number.
    private mutating func htpasswdAccounts(_ file: String, basedir: String) -> [UserAccount] {
        let url = URL(fileURLWithPath: file, relativeTo: URL(fileURLWithPath: basedir, isDirectory: true))
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            problem("auth.htpasswd", "cannot read '\(file)'")
            return []
        }
        let htpasswd = Htpasswd(parsing: text)
        for line in htpasswd.problems {
            problem("auth.htpasswd", "line \(line.line) of '\(file)' \(line.message)")
        }
        return htpasswd.accounts
    }

    /// `proxy: {userHeader, groupsHeader, trustedProxies}`.
    private mutating func proxyAuth(_ node: Node) -> ProxyAuthSettings? {
        let path = "auth.proxy"
        guard let mapping = node.mapping else {
            problem(path, "must be a mapping of userHeader, groupsHeader and trustedProxies")
            return nil
        }
        refuseUnknownKeys(mapping, allowed: ["userHeader", "groupsHeader", "trustedProxies"], at: path)
        let userHeader = headerName(mapping, "userHeader", at: path)
        if mapping["userHeader"] == nil { problem(join(path, "userHeader"), "is required") }
        let groupsHeader = headerName(mapping, "groupsHeader", at: path)
        var ranges: [AddressRange] = []
        let proxies = join(path, "trustedProxies")
        if let items = mapping["trustedProxies"]?.sequence, !items.isEmpty {
            for (index, item) in items.enumerated() {
                if let range = item.string.flatMap(AddressRange.init(parsing:)) {
                    ranges.append(range)
                } else {
                    problem("\(proxies)[\(index)]", "must be an address or a range, like 127.0.0.1 or 10.0.0.0/8")
                }
            }
        } else {
            problem(
                proxies,
                "must list the proxy's addresses (like [127.0.0.1]): anyone else could send the same headers")
        }
        guard let userHeader else { return nil }
        return ProxyAuthSettings(userHeader: userHeader, groupsHeader: groupsHeader, trustedProxies: ranges)
    }

    /// An HTTP header's name: letters, digits and `!#$%&'*+-.^_`|~`.
    private mutating func headerName(_ mapping: Node.Mapping, _ key: String, at path: String) -> String? {
        guard let name = string(mapping, key, at: path) else { return nil }
        let punctuation = Set("!#$%&'*+-.^_`|~".unicodeScalars)
        guard
            name.unicodeScalars.allSatisfy({
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                    || punctuation.contains($0)
            })
        else {
            problem(join(path, key), "'\(name)' is not a header name")
            return nil
        }
        return name
    }

    /// `- {role, users, groups}`: a role for users by name and for the members of groups.
    private mutating func roleGrants(_ node: Node?) -> [RoleGrant] {
        var grants: [RoleGrant] = []
        for (path, item) in listItems(node, key: "auth.roles") {
            guard let mapping = item.mapping else {
                problem(path, "must be a mapping of role, users and groups")
                continue
            }
            refuseUnknownKeys(mapping, allowed: ["role", "users", "groups"], at: path)
            let role = string(mapping, "role", at: path)
            if mapping["role"] == nil { problem(join(path, "role"), "is required") }
            if let role { checkRoleName(role, at: join(path, "role"), owner: false) }
            let users = userNames(mapping["users"], at: join(path, "users"))
            let groups = groupNames(mapping["groups"], at: join(path, "groups"))
            if users.isEmpty && groups.isEmpty { problem(path, "must name users or groups to give the role to") }
            if let role { grants.append(RoleGrant(role: role, users: users, groups: groups)) }
        }
        return grants
    }

    /// `- {actions, builders, schedulers, workers, roles}`: `actions` a list of actions or `"*"` (every action but
    /// view), the target lists globs.
    private mutating func accessRules(_ node: Node?) -> [AccessRule] {
        var rules: [AccessRule] = []
        for (path, item) in listItems(node, key: "auth.rules") {
            guard let mapping = item.mapping else {
                problem(path, "must be a mapping of actions, builders, schedulers, workers and roles")
                continue
            }
            refuseUnknownKeys(mapping, allowed: ["actions", "builders", "schedulers", "workers", "roles"], at: path)
            let actions = accessActions(mapping["actions"], at: join(path, "actions"))
            let builders = globs(mapping["builders"], at: join(path, "builders"))
            let schedulers = globs(mapping["schedulers"], at: join(path, "schedulers"))
            let workers = globs(mapping["workers"], at: join(path, "workers"))
            let rule = actions.map {
                AccessRule(actions: $0, builders: builders, schedulers: schedulers, workers: workers, roles: [])
            }
            if let rule { refuseDeadGlobs(rule, everyAction: mapping["actions"]?.string == "*", at: path) }
            let roles = roleNames(mapping["roles"], at: join(path, "roles"), owner: true)
            if mapping["roles"] != nil && roles.isEmpty {
                problem(join(path, "roles"), "must name at least one role")
            } else if mapping["roles"] == nil {
                problem(join(path, "roles"), "is required")
            }
            if var rule {
                rule.roles = roles
                rules.append(rule)
            }
        }
        return rules
    }

    /// Refuses each glob list of `rule` that some of its actions can never match: the first matching rule decides,
    /// so those actions would silently fall through to a later, perhaps broader, rule.
    private mutating func refuseDeadGlobs(_ rule: AccessRule, everyAction: Bool, at path: String) {
        for list in AccessRule.Globs.allCases where !rule.patterns(list).isEmpty {
            let able = AccessAction.allCases.filter { $0.matchableGlobs.contains(list) }.map(\.rawValue)
            let named = "only \(Self.sentence(able)) name \(Self.targetWord(list))"
            if everyAction {
                problem(
                    join(path, list.rawValue),
                    "cannot go with actions \"*\": \(named), so the other actions would never match this rule and a "
                        + "later one would decide them; list the actions these globs are for")
                continue
            }
            let dead = AccessAction.allCases.filter { rule.actions.contains($0) && !$0.matchableGlobs.contains(list) }
            guard !dead.isEmpty else { continue }
            let (them, their) = dead.count == 1 ? ("it", "its") : ("them", "their")
            problem(
                join(path, list.rawValue),
                "never match \(Self.sentence(dead.map(\.rawValue))): \(named), so a later rule would decide \(them); "
                    + "give \(them) a rule of \(their) own")
        }
    }

    /// What a glob list is matched against, for messages: `a builder`.
    private static func targetWord(_ list: AccessRule.Globs) -> String {
        switch list {
        case .builders: "a builder"
        case .schedulers: "a scheduler"
        case .workers: "a worker"
        }
    }

    /// `a`, `a and b`, `a, b and c`.
    private static func sentence(_ words: [String]) -> String {
        guard let last = words.last, words.count > 1 else { return words.first ?? "" }
        return words.dropLast().joined(separator: ", ") + " and " + last
    }

    private mutating func accessActions(_ node: Node?, at path: String) -> Set<AccessAction>? {
        let known = AccessAction.allCases.map(\.rawValue).joined(separator: ", ")
        let usage = "must be \"*\" or a list of actions (\(known))"
        guard let node else {
            problem(path, "is required")
            return nil
        }
        if node.string == "*" { return AccessAction.control }
        guard let items = node.sequence, !items.isEmpty else {
            problem(path, usage)
            return nil
        }
        var actions: Set<AccessAction> = []
        for (index, item) in items.enumerated() {
            guard let action = item.string.flatMap(AccessAction.init(rawValue:)) else {
                problem("\(path)[\(index)]", "unknown action; \(usage)")
                continue
            }
            actions.insert(action)
        }
        return actions.isEmpty ? nil : actions
    }

    /// Globs of names, as builders' and workers' names are matched; a regular expression after `re:`.
    mutating func globs(_ node: Node?, at path: String) -> [Pattern] {
        guard let node else { return [] }
        guard let items = node.sequence else {
            problem(path, "must be a list of globs (or regular expressions after 're:')")
            return []
        }
        return items.enumerated().compactMap { index, item -> Pattern? in
            guard let source = item.string, !source.isEmpty else {
                problem("\(path)[\(index)]", "must be a glob (or a regular expression after 're:')")
                return nil
            }
            return glob(source, at: "\(path)[\(index)]")
        }
    }

    private mutating func glob(_ source: String, at path: String) -> Pattern? {
        do {
            return try Pattern(glob: source)
        } catch {
            problem(path, error.message)
            return nil
        }
    }

    /// Role names; `owner` only where rules grant to the owner of a build, never as a role a user holds.
    private mutating func roleNames(_ node: Node?, at path: String, owner: Bool) -> Set<String> {
        let roles = names(node, at: path)
        for role in roles { checkRoleName(role, at: path, owner: owner) }
        return Set(roles.filter { Identifier.isValid($0) })
    }

    private mutating func checkRoleName(_ role: String, at path: String, owner: Bool) {
        if !Identifier.isValid(role) {
            problem(path, "'\(role)' is not a valid role name (\(Identifier.rule))")
        } else if role == AccessRule.ownerRole && !owner {
            problem(path, "'owner' is not a role to give: rules use it for the owner of a build")
        }
    }

    private mutating func userNames(_ node: Node?, at path: String) -> Set<String> {
        let users = names(node, at: path)
        let valid = users.filter(UserAccount.isValidName)
        if valid.count != users.count {
            problem(path, "user names must be non-empty, without ':' or control characters")
        }
        return Set(valid)
    }

    /// Group names: non-empty, without `,` (the proxy's groups header separates them with it) or control
    /// characters.
    private mutating func groupNames(_ node: Node?, at path: String) -> Set<String> {
        let groups = names(node, at: path)
        let valid = groups.filter { group in
            !group.isEmpty && !group.unicodeScalars.contains { $0 == "," || $0.value < 0x20 || $0.value == 0x7F }
        }
        if valid.count != groups.count {
            problem(path, "group names must be non-empty, without ',' or control characters")
        }
        return Set(valid)
    }
}
