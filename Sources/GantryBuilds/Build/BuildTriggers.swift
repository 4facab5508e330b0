public import GantryModel

/// How a Trigger step reaches the Triggerable schedulers of the cluster (the master wires it to its own).
public protocol BuildTriggers: Sendable {
    /// Adds a buildset on Triggerable scheduler `scheduler`; with `wait`, returns the buildset's result once it
    /// completes, otherwise nil as soon as it is added.
    /// - Parameter properties: `name: [value, source]` pairs.
    func trigger(
        scheduler: String, sourceStamps: [SourceStamp], properties: [String: JSONValue], wait: Bool
    ) async throws -> BuildResult?
}
