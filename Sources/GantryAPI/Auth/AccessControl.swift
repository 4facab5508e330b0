public import GantryModel
import Synchronization

/// The master's authentication settings and what goes with them: the rules every control action is decided by,
/// and the failed-attempt limits of logins, passwords and tokens. A reload replaces the settings; the limits
/// carry over.
///
/// The limits are per master (in memory): an attacker spreading attempts over several masters gets each
/// master's allowance, which still bounds guessing to a few hundred tries an hour per address.
public final class AccessControl: Sendable {
    /// Failures an address may make in ``window`` before its attempts are refused.
    public static let failuresPerAddress = 30
    /// Failures tried against one user name, from anywhere, in ``window``.
    static let failuresPerUser = 10
    static let window = Duration.seconds(300)

    private struct State {
        var settings: AuthSettings?
        var byAddress = AttemptLimiter<ContinuousClock.Instant>(limit: failuresPerAddress, window: window)
        var byUser = AttemptLimiter<ContinuousClock.Instant>(limit: failuresPerUser, window: window)
    }

    /// The longest key the limits keep: a longer user name counts as its first characters, so a flood of huge
    /// names cannot fill memory.
    static let maxKeyLength = 64

    private let state: Mutex<State>
    private let clock = ContinuousClock()
    /// Whether the master may answer requests for names beyond this machine without authentication
    /// (`http.insecure`); without it, a master without `auth` answers only requests for loopback names.
    let insecure: Bool

    /// `nil` settings: no authentication, everyone may do everything (a master on loopback only, or `insecure`).
    public init(_ settings: AuthSettings?, insecure: Bool = false) {
        state = Mutex(State(settings: settings))
        self.insecure = insecure
    }

    public var settings: AuthSettings? { state.withLock { $0.settings } }

    /// A reload's settings, from the next request on.
    public func update(_ settings: AuthSettings?) {
        state.withLock { $0.settings = settings }
    }

    /// Whether `caller` may do `action` to `target` under the current rules.
    func decide(_ action: AccessAction, on target: AccessTarget, for caller: Caller) -> AccessDecision {
        (settings?.policy ?? .open).decide(action, on: target, for: caller)
    }

    /// How far `caller` may do `action`, for whoami and the pages' buttons.
    func reach(_ action: AccessAction, for caller: Caller) -> AccessReach {
        (settings?.policy ?? .open).reach(action, for: caller)
    }

    /// How a password attempt ended.
    enum PasswordAttempt {
        /// Too many failures from the address or for the user: not even checked.
        case limited(Duration)
        case wrong
        case accepted(UserAccount)
    }

    /// One password attempt, as the login form and HTTP Basic both make it: refused unchecked while the address or
    /// the user is over its limit, else checked against `settings`' users and counted.
    func checkPassword(
        _ password: String, user: String, address: String?, in settings: AuthSettings
    ) async -> PasswordAttempt {
        if let wait = retryAfter(address: address, user: user) { return .limited(wait) }
        guard let account = await PasswordCheck.verify(password, user: user, in: settings) else {
            recordFailure(address: address, user: user)
            return .wrong
        }
        recordSuccess(user: account.name)
        return .accepted(account)
    }

    /// `nil` when an attempt from `address` for `user` may go ahead; else how long until one may.
    func retryAfter(address: String?, user: String?) -> Duration? {
        let now = clock.now
        return state.withLock { state in
            let waits = [
                address.flatMap { state.byAddress.retryAfter(Self.key($0), at: now) },
                user.flatMap { state.byUser.retryAfter(Self.key($0), at: now) },
            ]
            return waits.compactMap { $0 }.max()
        }
    }

    func recordFailure(address: String?, user: String?) {
        let now = clock.now
        state.withLock { state in
            if let address { state.byAddress.recordFailure(Self.key(address), at: now) }
            if let user { state.byUser.recordFailure(Self.key(user), at: now) }
        }
    }

    /// A success clears the user's failures (not the address's: one right password must not reset a guesser).
    func recordSuccess(user: String) {
        state.withLock { $0.byUser.recordSuccess(Self.key(user)) }
    }

    private static func key(_ text: String) -> String {
        String(text.prefix(maxKeyLength))
    }
}
