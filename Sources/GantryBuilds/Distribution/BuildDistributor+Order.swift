package import GantryModel

extension BuildDistributor {
    /// Priority first; then the oldest request of each origin (scheduler and project) on each builder before any
    /// one's second, so neither a mass rebuild nor a builder with a long queue starves the rest; then submission
    /// time.
    package static func order(_ requests: [BuildRequest], origins: [Int: BuildsetOrigin] = [:]) -> [BuildRequest] {
        struct Queue: Hashable {
            var origin: BuildsetOrigin?
            var builderID: Int
        }
        let byAge = requests.sorted { ($0.submittedAt, $0.id) < ($1.submittedAt, $1.id) }
        var seen: [Queue: Int] = [:]
        let ranked = byAge.map { request -> (rank: Int, request: BuildRequest) in
            let queue = Queue(origin: origins[request.buildsetID], builderID: request.builderID)
            defer { seen[queue, default: 0] += 1 }
            return (seen[queue, default: 0], request)
        }
        return ranked.sorted {
            ($1.request.priority, $0.rank, $0.request.submittedAt, $0.request.id)
                < ($0.request.priority, $1.rank, $1.request.submittedAt, $1.request.id)
        }.map(\.request)
    }
}
