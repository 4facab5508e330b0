import Foundation
import GantryBuilds
import GantryModel
import Testing

@Suite("The order requests are served in")
struct RequestOrderTests {
    private func request(_ id: Int, builder: Int, priority: Int = 0, at seconds: Double) -> BuildRequest {
        BuildRequest(
            id: id, buildsetID: id, builderID: builder, priority: priority,
            submittedAt: Date(timeIntervalSince1970: seconds))
    }

    @Test("priority first, then each builder's oldest before any builder's next, then age")
    func fairAcrossBuilders() {
        let mass = (1...4).map { request($0, builder: 1, at: Double($0)) }
        let others = [
            request(10, builder: 2, at: 20), request(11, builder: 3, at: 30), request(12, builder: 2, at: 40),
        ]
        let urgent = request(20, builder: 1, priority: 5, at: 50)
        let order = BuildDistributor.order((mass + others + [urgent]).shuffled()).map(\.id)
        #expect(order == [20, 1, 10, 11, 2, 12, 3, 4])
    }
}
