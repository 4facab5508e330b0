/// The properties a data-API request asks to see with each item, as Buildbot's `property` option: `property=NAME`
/// (repeatable) or `property=*` for all of them.
public enum PropertySelection: Sendable, Hashable {
    case all
    case named(Set<String>)

    /// The most names one request may ask for: each is bound in the statements that read them.
    public static let mostNames = 100

    /// `properties` (`name: [value, source]`) narrowed to the selected ones.
    public func filter(_ properties: [String: JSONValue]) -> [String: JSONValue] {
        switch self {
        case .all: properties
        case .named(let names): properties.filter { names.contains($0.key) }
        }
    }

    /// The names to read; `nil` for all.
    public var names: Set<String>? {
        switch self {
        case .all: nil
        case .named(let names): names
        }
    }
}
