import ServiceLifecycle

/// Runs `action` when the service group shuts down gracefully, after the services listed after it have stopped
/// (a group stops its services in reverse order).
struct AfterShutdown: Service, CustomStringConvertible {
    let action: @Sendable () async -> Void

    var description: String { "after shutdown" }

    func run() async throws {
        try? await gracefulShutdown()  // throws only when cancelled: then there is nothing to do
        guard !Task.isCancelled else { return }
        await action()
    }
}
