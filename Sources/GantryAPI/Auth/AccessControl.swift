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

    private let state: Mutex<State>
    private let clock = ContinuousClock()

    /// `nil` settings: no authentication, everyone may do everything (a master on loopback only, or `insecure`).
    public init(_ settings: AuthSettings?) {
        state = Mutex(State(settings: settings))
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

    /// `nil` when an attempt from `address` for `user` may go ahead; else how long until one may.
    func retryAfter(address: String?, user: String?) -> Duration? {
        let now = clock.now
        return state.withLock { state in
            let waits = [
                address.flatMap { state.byAddress.retryAfter($0, at: now) },
                user.flatMap { state.byUser.retryAfter($0, at: now) },
            ]
            return waits.compactMap { $0 }.max()
        }
    }

    func recordFailure(address: String?, user: String?) {
        let now = clock.now
        state.withLock { state in
            if let address { state.byAddress.recordFailure(address, at: now) }
            if let user { state.byUser.recordFailure(user, at: now) }
        }
    }

    /// A success clears the user's failures (not the address's: one right password must not reset a guesser).
    func recordSuccess(user: String) {
        state.withLock { $0.byUser.recordSuccess(user) }
    }
}
