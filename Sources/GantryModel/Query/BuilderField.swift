/// The fields of the builders collection.
public enum BuilderField: String, ItemField {
    case builderid
    case name

    public var valueType: QueryValue.Kind { self == .builderid ? .int : .string }

    /// This field of `builder`.
    public func value(of builder: Builder) -> QueryValue? {
        switch self {
        case .builderid: .int(builder.id)
        case .name: .string(builder.name)
        }
    }
}
