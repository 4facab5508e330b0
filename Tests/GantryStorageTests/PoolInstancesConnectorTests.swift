import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("PoolInstancesConnector", .paced)
struct PoolInstancesConnectorTests {
    @Test(
        "an instance is recorded under the pool's claim, one live per worker, and marked as it connects and stops",
        arguments: TestBackend.enabled)
    func lifecycle(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let claims = db.claims(.pool)
            let pool = try await claims.findServiceId("vms")
            let master = try await db.masters.findMasterId("m1")
            let fence = try await claims.claim(pool, masterid: master)
            let id = try await db.poolInstances.addInstance(
                pool: "vms", worker: "vms-1", provisioner: "docker", fence: fence)
            await #expect(throws: (any Error).self, "a second live instance of the same worker") {
                try await db.poolInstances.addInstance(
                    pool: "vms", worker: "vms-1", provisioner: "docker", fence: fence)
            }
            try await db.poolInstances.setProviderID(id, "c0ffee")
            try await db.poolInstances.setConnected(id)
            var live = try await db.poolInstances.getLiveInstances("vms")
            #expect(live.map(\.providerID) == ["c0ffee"] && live.first?.state == .running)
            #expect(
                live.first?.masterID == master && live.first?.epoch == fence.epoch && live.first?.connectedAt != nil)

            try await db.poolInstances.setStopped(id, detail: "retired: idle")
            try await db.poolInstances.setStopped(id, detail: "again")
            live = try await db.poolInstances.getLiveInstances("vms")
            #expect(live.isEmpty)
            let all = try await db.poolInstances.getInstances("vms")
            #expect(all.first?.state == .stopped && all.first?.detail == "retired: idle", "the first stop stays")
            let again = try await db.poolInstances.addInstance(
                pool: "vms", worker: "vms-1", provisioner: "docker", fence: fence)
            #expect(try await db.poolInstances.getInstances("vms").map(\.id) == [again, id], "newest first")
            #expect(try await db.poolInstances.getInstances("vms", limit: 1).map(\.id) == [again])

            let other = try await db.masters.findMasterId("m2")
            #expect(try await claims.unclaim(fence))
            _ = try await claims.claim(pool, masterid: other)
            await #expect(throws: GantryError.self, "a deposed master's fence refuses the write") {
                try await db.poolInstances.addInstance(
                    pool: "vms", worker: "vms-2", provisioner: "docker", fence: fence)
            }
            #expect(try await db.poolInstances.getLiveInstances("vms").map(\.worker) == ["vms-1"])
            #expect(try await db.poolInstances.clusterName().count == 8, "the cluster's own name")
        }
    }
}
