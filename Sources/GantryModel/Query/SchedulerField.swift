/// The fields of the schedulers collection.
public enum SchedulerField: String, QueryField {
    case schedulerid
    case name
    case enabled
    case masterid

    public var valueType: QueryValue.Kind {
        switch self {
        case .schedulerid, .masterid: .int
        case .name: .string
        case .enabled: .bool
        }
    }

    /// This field of `scheduler`.
    public func value(of scheduler: SchedulerInfo) -> QueryValue? {
        switch self {
        case .schedulerid: .int(scheduler.id)
        case .name: .string(scheduler.name)
        case .enabled: .bool(scheduler.enabled)
        case .masterid: scheduler.masterID.map(QueryValue.int)
        }
    }
}
