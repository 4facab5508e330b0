/// Which change hooks a master serves under `/change_hook/<dialect>`; a dialect is served only when its key
/// is in the configuration.
public struct ChangeHookSettings: Sendable, Hashable {
    /// `POST /change_hook/base`: Buildbot's base fields, form or JSON.
    public var base: Bool
    /// `POST /change_hook/github`, with the secret its signatures are checked against.
    public var github: HookSecret?
    /// `POST /change_hook/gitlab`, with the token `X-Gitlab-Token` must carry.
    public var gitlab: HookSecret?

    public init(base: Bool = false, github: HookSecret? = nil, gitlab: HookSecret? = nil) {
        self.base = base
        self.github = github
        self.gitlab = gitlab
    }
}

/// The shared secret of a webhook; without one every request is accepted.
public struct HookSecret: Sendable, Hashable {
    public var secret: String?

    public init(secret: String? = nil) {
        self.secret = secret
    }
}

/// The hooks' secrets print as `****`.
extension ChangeHookSettings: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var customMirror: Mirror {
        Mirror(self, children: ["base": base, "github": github as Any, "gitlab": gitlab as Any], displayStyle: .struct)
    }

    public var description: String { Redaction.describe(customMirror) }

    public var debugDescription: String { description }
}

/// The secret prints as `****`.
extension HookSecret: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var customMirror: Mirror {
        Mirror(self, children: ["secret": secret.map { _ in Redaction.mask } as Any], displayStyle: .struct)
    }

    public var description: String { Redaction.describe(customMirror) }

    public var debugDescription: String { description }
}
