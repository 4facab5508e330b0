import Foundation
import GantryBuilds
import GantryModel
import GantryTesting
import Testing

@Suite("The order requests are served in", .paced)
struct RequestOrderTests {
    private func request(_ id: Int, builder: Int, priority: Int = 0, at seconds: Double) -> BuildRequest {
        BuildRequest(
            id: id, buildsetID: id, builderID: builder, priority: priority,
            submittedAt: Date(timeIntervalSince1970: seconds))
    }

    @Test("priority first, then each builder's first before any builder's next, then age")
    func fairAcrossBuilders() {
        let mass = (1...4).map { request($0, builder: 1, at: Double($0)) }
        let others = [
            request(10, builder: 2, at: 20), request(11, builder: 3, at: 30), request(12, builder: 2, at: 40),
        ]
        let urgent = request(20, builder: 1, priority: 5, at: 50)
        let order = BuildDistributor.order((mass + others + [urgent]).shuffled()).map(\.id)
        // The urgent request takes builder 1's first turn.
        #expect(order == [20, 10, 11, 1, 12, 2, 3, 4])
    }

    @Test("a mass rebuild from one scheduler cannot starve another's requests on the same builder")
    func fairAcrossSchedulersAndProjects() {
        let rebuild = BuildsetOrigin(schedulerID: 1, project: "app")
        let nightly = BuildsetOrigin(schedulerID: 2, project: "app")
        let otherProject = BuildsetOrigin(schedulerID: 1, project: "lib")
        let mass = (1...5).map { request($0, builder: 1, at: Double($0)) }
        let late = [request(10, builder: 1, at: 10), request(11, builder: 1, at: 11), request(12, builder: 1, at: 12)]
        var origins = Dictionary(uniqueKeysWithValues: mass.map { ($0.id, rebuild.queueKey) })
        origins[10] = nightly.queueKey
        origins[11] = nightly.queueKey
        origins[12] = otherProject.queueKey
        let order = BuildDistributor.order((mass + late).shuffled(), origins: origins).map(\.id)
        #expect(order == [1, 10, 12, 2, 11, 3, 4, 5])
        #expect(BuildDistributor.order(mass + late).map(\.id) == [1, 2, 3, 4, 5, 10, 11, 12])
    }
}
