/// The fields of a build's steps.
public enum StepField: String, ItemField {
    case stepid
    case number
    case name
    case buildid
    case complete
    case results

    public var valueType: QueryValue.Kind {
        switch self {
        case .name: .string
        case .complete: .bool
        default: .int
        }
    }

    /// This field of `step`.
    public func value(of step: BuildStep) -> QueryValue? {
        switch self {
        case .stepid: .int(step.id)
        case .number: .int(step.number)
        case .name: .string(step.name)
        case .buildid: .int(step.buildID)
        case .complete: .bool(step.completeAt != nil)
        case .results: step.results.map { .int($0.rawValue) }
        }
    }
}
