/// The fields of a step's logs.
public enum LogField: String, ItemField {
    case logid
    case name
    case slug
    case stepid
    case complete
    case numLines = "num_lines"

    public var valueType: QueryValue.Kind {
        switch self {
        case .name, .slug: .string
        case .complete: .bool
        default: .int
        }
    }

    /// This field of `log`.
    public func value(of log: StepLog) -> QueryValue? {
        switch self {
        case .logid: .int(log.id)
        case .name: .string(log.name)
        case .slug: .string(log.slug)
        case .stepid: .int(log.stepID)
        case .complete: .bool(log.complete)
        case .numLines: .int(log.numLines)
        }
    }
}
