import GantryModel
import GantryStorage

/// Buildbot's workers fixture: masters m10 and m11; builders b20, b21, b22; workers "zero" (w30) and "one" (w31).
///
/// Builder-masters: 20@10, 21@10, 20@11, 22@11, 22@10. w30 is configured on 20@10, 21@10, 20@11; w31 on
/// 20@11, 22@11. w30 is connected to m10, w31 to m11. The real ids are assigned by the database; the
/// properties name them as Buildbot's test does.
struct WorkersFixture {
    let m10: Int, m11: Int
    let b20: Int, b21: Int, b22: Int
    let w30: Int, w31: Int

    /// Builds the fixture; with `configured: false` the builder links exist but no worker is configured.
    static func load(_ db: Database, configured: Bool = true, connected: Bool = true) async throws -> Self {
        let fixture = Self(
            m10: try await db.masters.findMasterId("m10"),
            m11: try await db.masters.findMasterId("m11"),
            b20: try await db.builders.findBuilderId("b20"),
            b21: try await db.builders.findBuilderId("b21"),
            b22: try await db.builders.findBuilderId("b22"),
            w30: try await db.workers.findWorkerId("zero"),
            w31: try await db.workers.findWorkerId("one")
        )
        try await db.builders.updateBuilderList(fixture.m10, builderids: [fixture.b20, fixture.b21, fixture.b22])
        try await db.builders.updateBuilderList(fixture.m11, builderids: [fixture.b20, fixture.b22])
        if configured {
            try await db.workers.workerConfigured(
                fixture.w30, masterid: fixture.m10, builderids: [fixture.b20, fixture.b21])
            try await db.workers.workerConfigured(fixture.w30, masterid: fixture.m11, builderids: [fixture.b20])
            try await db.workers.workerConfigured(
                fixture.w31, masterid: fixture.m11, builderids: [fixture.b20, fixture.b22])
        }
        if connected {
            try await db.workers.workerConnected(fixture.w30, masterid: fixture.m10, workerInfo: ["a": "b"])
            try await db.workers.workerConnected(fixture.w31, masterid: fixture.m11, workerInfo: ["a": "b"])
        }
        return fixture
    }

    /// A builder-master pair, sorted as the connector sorts `configuredOn`.
    func on(_ builder: Int, _ master: Int) -> BuilderMaster {
        BuilderMaster(builderID: builder, masterID: master)
    }

    /// The configured-on pairs of `worker`, sorted.
    static func pairs(_ worker: Worker?) -> [BuilderMaster] {
        (worker?.configuredOn ?? []).sorted()
    }
}
