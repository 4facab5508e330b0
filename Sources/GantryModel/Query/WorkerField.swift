/// The fields of the workers collection.
public enum WorkerField: String, ItemField {
    case workerid
    case name
    case paused
    case graceful

    public var valueType: QueryValue.Kind {
        switch self {
        case .workerid: .int
        case .name: .string
        case .paused, .graceful: .bool
        }
    }

    /// This field of `worker`.
    public func value(of worker: Worker) -> QueryValue? {
        switch self {
        case .workerid: .int(worker.id)
        case .name: .string(worker.name)
        case .paused: .bool(worker.paused)
        case .graceful: .bool(worker.graceful)
        }
    }
}
