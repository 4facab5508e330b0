/// Waits until `condition` holds, checking every millisecond of real time, and says whether it did within
/// `limit`.
///
/// Spinning on `Task.yield()` instead can starve the very tasks that would make the condition true when the
/// machine has two cores: a yielding task of higher priority is resumed before them.
public func waitUntil(
    limit: Duration = .seconds(20),
    isolation: isolated (any Actor)? = #isolation,
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: limit)
    while try await !condition() {
        guard clock.now < deadline else { return false }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return true
}
