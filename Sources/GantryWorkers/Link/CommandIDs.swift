import Synchronization

/// Command ids that no worker sees twice, across its connections and across master restarts.
///
/// buildbot-worker keeps a lost connection's commands running under their ids, and when one of them ends it
/// forgets whatever command then holds that id: an id reused on the next connection would never complete. As
/// Buildbot numbers commands with one counter per master process, so does Gantry, behind a prefix drawn at
/// random when the process starts, so a restarted master does not count from 0 again.
enum CommandIDs {
    private static let prefix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
    private static let counter = Atomic<Int>(0)

    /// The next id, `PREFIX-N`.
    static func next() -> String {
        "\(prefix)-\(counter.wrappingAdd(1, ordering: .relaxed).oldValue)"
    }
}
