/// The fields of the force schedulers collection; the API reads them off its schedulers.
public enum ForceSchedulerField: String, QueryField {
    case name
    case buttonName = "button_name"
    case label
    case enabled

    public var valueType: QueryValue.Kind { self == .enabled ? .bool : .string }
}
