public import GantryModel

/// How a Trigger step reaches the Triggerable schedulers of the cluster (the master wires it to its own).
public protocol BuildTriggers: Sendable {
    /// Adds a buildset on Triggerable scheduler `scheduler`; with `wait`, returns the buildset's result once it
    /// completes, otherwise nil as soon as it is added.
    /// - Parameters:
    ///   - properties: `name: [value, source]` pairs.
    ///   - parent: The triggering build, recorded with the buildset.
    ///   - added: Told the build requests added, as soon as they are (a NightlyTriggerable adds none yet).
    func trigger(
        scheduler: String, sourceStamps: [SourceStamp], properties: [String: JSONValue], wait: Bool,
        parent: BuildsetParent, added: @Sendable ([Int]) async -> Void
    ) async throws -> BuildResult?
}
