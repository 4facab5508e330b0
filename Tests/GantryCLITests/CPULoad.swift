import Foundation
import GantryTesting

/// Runs `body` while `count` busy-looping shells keep the cores loaded, so races that need a process to be
/// preempted show up; the shells are killed and reaped on every path.
func withCPULoad(processes count: Int, _ body: () async throws -> Void) async throws {
    var loops: [(process: Process, exited: AsyncStream<Int32>)] = []
    func stop() async {
        for loop in loops { kill(loop.process.processIdentifier, SIGKILL) }
        for loop in loops {
            var exits = loop.exited.makeAsyncIterator()
            _ = await exits.next()
        }
    }
    do {
        for _ in 0..<count {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "while :; do :; done"]
            loops.append((process, try process.start()))
        }
        try await body()
    } catch {
        await stop()
        throw error
    }
    await stop()
}
