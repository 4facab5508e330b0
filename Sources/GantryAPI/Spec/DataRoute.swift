import GantryModel

/// One route of the data API as `/api/v2/application.spec` lists it: its path in Buildbot's notation (`n:` a
/// number, `i:` an identifier, `s:` a string), the key of its answer's items and their type.
struct DataRoute: Sendable {
    var path: String
    var plural: String
    var type: DataType

    init(_ path: String, _ plural: String, _ type: DataType) {
        self.path = path
        self.plural = plural
        self.type = type
    }

    /// `{"path", "plural", "type", "type_spec"}`, as Buildbot lists a route.
    var spec: JSONValue {
        ["path": .string(path), "plural": .string(plural), "type": .string(type.name), "type_spec": type.spec]
    }
}
