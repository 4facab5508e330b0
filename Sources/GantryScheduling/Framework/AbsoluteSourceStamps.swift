import GantryModel
import GantryStorage

/// Buildbot's `createAbsoluteSourceStamps`: the newest change seen on each codebase, so a buildset names every
/// codebase at an exact revision instead of its configured defaults.
///
/// Kept in the scheduler's state (`lastCodebases`, Buildbot's shape: per codebase `repository`, `branch`,
/// `revision` and `lastChange`) and written with the read position, so it always matches the changes read.
struct AbsoluteSourceStamps: Sendable, Hashable {
    static let key = "lastCodebases"

    private var codebases: [String: JSONValue]

    /// The recorded codebases of `objectID`; a value that is not a mapping is ignored.
    static func load(objectID: Int, database: Database) async throws -> Self {
        let stored = try await database.state.getState(objectID, key, default: [:])
        guard case .object(let codebases) = stored else { return Self(codebases: [:]) }
        return Self(codebases: codebases)
    }

    /// Records `change` unless a newer change on its codebase is recorded already.
    mutating func record(_ change: Change) {
        let last = codebases[change.codebase]?["lastChange"]?.integer ?? -1
        guard change.id > last else { return }
        codebases[change.codebase] = [
            "repository": .string(change.repository),
            "branch": change.branch.map(JSONValue.string) ?? .null,
            "revision": change.revision.map(JSONValue.string) ?? .null,
            "lastChange": .number(Double(change.id)),
        ]
    }

    /// The recorded codebases as the defaults a buildset uses.
    var defaults: [String: CodebaseDefaults] {
        codebases.mapValues { recorded in
            CodebaseDefaults(
                repository: recorded["repository"]?.string ?? "", branch: recorded["branch"]?.string,
                revision: recorded["revision"]?.string)
        }
    }

    func write(objectID: Int) -> StateWrite {
        StateWrite(objectID: objectID, key: Self.key, value: .object(codebases))
    }
}
