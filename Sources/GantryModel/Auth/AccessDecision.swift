/// The outcome of asking whether a caller may do something: what the API answers with 200, 401 or 403.
public enum AccessDecision: Sendable, Hashable {
    /// Go ahead.
    case allowed
    /// Nobody is known and the action needs someone: logging in may help.
    case unauthenticated
    /// The caller is known and may not.
    case forbidden
}
