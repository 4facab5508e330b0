public import GantryModel
public import Logging

/// Buildbot's change consumption, one change at a time: filter → codebase → fileIsImportant →
/// onlyImportant. What survives goes to the scheduler's `gotChange` with its importance.
public struct ChangeConsumer: Sendable {
    /// Decides whether a change is important; an error drops the change.
    public typealias ImportanceCheck = @Sendable (Change) throws -> Bool

    let consumption: ChangeConsumption
    let codebases: Set<String>
    let isImportant: ImportanceCheck?
    let logger: Logger

    /// - Parameter isImportant: Overrides the file patterns of `consumption`.
    public init(
        consumption: ChangeConsumption,
        codebases: Set<String>,
        isImportant: ImportanceCheck? = nil,
        logger: Logger
    ) {
        self.consumption = consumption
        self.codebases = codebases
        self.isImportant =
            isImportant ?? consumption.importance.map { rule in { @Sendable change in rule.isImportant(change) } }
        self.logger = logger
    }

    /// Whether the change is important; `nil` when it is dropped.
    public func classify(_ change: Change) -> Bool? {
        if let filter = consumption.filter, !filter.accepts(change) { return nil }
        guard codebases.contains(change.codebase) else {
            logger.debug("change on an unknown codebase ignored", metadata: [LogKey.change: "\(change.id)"])
            return nil
        }
        let important: Bool
        do {
            important = try isImportant?(change) ?? true
        } catch {
            logger.error(
                "fileIsImportant failed; change dropped",
                metadata: [LogKey.change: "\(change.id)", LogKey.error: "\(error)"])
            return nil
        }
        if consumption.onlyImportant && !important { return nil }
        return important
    }
}
