package import GantryModel

extension BuildDistributor {
    /// Priority first; then the first request of each origin (scheduler and project, as
    /// ``BuildsetOrigin/queueKey``, by request id in `origins`) on each builder before any one's second, so
    /// neither a mass rebuild nor a builder with a long queue starves the rest; then submission time. A
    /// request's place in its origin's queue counts by priority, then age, so the first `n` of each origin hold
    /// every request the first `n` places can go to.
    package static func order(_ requests: [BuildRequest], origins: [Int: String] = [:]) -> [BuildRequest] {
        struct Queue: Hashable {
            var origin: String?
            var builderID: Int
        }
        let queued = requests.sorted {
            ($1.priority, $0.submittedAt, $0.id) < ($0.priority, $1.submittedAt, $1.id)
        }
        var seen: [Queue: Int] = [:]
        let ranked = queued.map { request -> (rank: Int, request: BuildRequest) in
            let queue = Queue(origin: origins[request.id], builderID: request.builderID)
            defer { seen[queue, default: 0] += 1 }
            return (seen[queue, default: 0], request)
        }
        return ranked.sorted {
            ($1.request.priority, $0.rank, $0.request.submittedAt, $0.request.id)
                < ($0.request.priority, $1.rank, $1.request.submittedAt, $1.request.id)
        }.map(\.request)
    }
}
