/// How far an action reaches for a caller, so the UI shows only the buttons that can work.
public enum AccessReach: String, Sendable, Hashable {
    /// On every target.
    case all
    /// On some targets: a rule grants it for some builders, schedulers or workers, or for the caller's own builds.
    case some
    /// On none.
    case none
}
