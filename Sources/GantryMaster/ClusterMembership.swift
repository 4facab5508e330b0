import GantryCluster
import GantryModel
import ServiceLifecycle

/// The master's life in the cluster as a service: it joins only once the HTTP API listens (a taken address stops
/// the master before it claims anything), and a graceful shutdown becomes a clean stop.
struct ClusterMembership: Service, CustomStringConvertible {
    let lifecycle: MasterLifecycle
    /// Told once the master has joined: its services had their first poll and it checked in.
    let joined: @Sendable () -> Void
    private let httpListening = Latch()

    init(lifecycle: MasterLifecycle, joined: @escaping @Sendable () -> Void) {
        self.lifecycle = lifecycle
        self.joined = joined
    }

    var description: String { "cluster membership" }

    /// Lets the master join.
    func httpListens() {
        httpListening.open()
    }

    func run() async throws {
        // Cancelled (the HTTP server could not listen) or shut down before the API listens: never joins.
        await withGracefulShutdownHandler {
            await httpListening.waitUnlessCancelled()
        } onGracefulShutdown: {
            httpListening.open()
        }
        guard !Task.isCancelled, !Task.isShuttingDownGracefully else { return }
        try await withGracefulShutdownHandler {
            try await lifecycle.run { _, _ in joined() }
        } onGracefulShutdown: {
            lifecycle.stop()
        }
    }
}
