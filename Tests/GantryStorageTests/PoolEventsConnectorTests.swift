import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("PoolEventsConnector", .paced)
struct PoolEventsConnectorTests {
    @Test(
        "a pool's events come back oldest first, with their master; only the newest are kept",
        arguments: TestBackend.enabled)
    func log(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let start = Date(timeIntervalSince1970: 1_700_000_000.25)
            for index in 0..<5 {
                try await db.poolEvents.addPoolEvent(
                    PoolEvent(
                        time: start.addingTimeInterval(Double(index)), pool: "linux", worker: "linux-\(index)",
                        kind: index == 4 ? .startFailed : .startRequested, detail: index == 4 ? "no room" : nil,
                        masterID: 7),
                    keeping: 3)
            }
            try await db.poolEvents.addPoolEvent(
                PoolEvent(time: start, pool: "mac", worker: nil, kind: .claimed), keeping: 3)
            let linux = try await db.poolEvents.getPoolEvents("linux")
            #expect(linux.map(\.worker) == ["linux-2", "linux-3", "linux-4"], "the two oldest dropped")
            #expect(linux.last?.kind == .startFailed && linux.last?.detail == "no room" && linux.last?.masterID == 7)
            #expect(linux.first?.time == start.addingTimeInterval(2), "to the millisecond")
            #expect(try await db.poolEvents.getPoolEvents("linux", limit: 1).map(\.worker) == ["linux-4"])
            #expect(try await db.poolEvents.getPoolEvents("mac").map(\.kind) == [.claimed], "each pool its own log")
            #expect(try await db.poolEvents.getPoolEvents("none").isEmpty)
        }
    }
}
