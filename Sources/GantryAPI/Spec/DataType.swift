import GantryModel

/// A type of the data API as `/api/v2/application.spec` describes it, in Buildbot's words: its `type` text
/// (`integer`, `string or None`, `list`, `build`) and its `type_spec` object.
indirect enum DataType: Sendable {
    case integer, string, boolean, datetime, identifier, jsonobject, binary
    /// Properties as `{name: [value, source]}`.
    case sourcedproperties
    case list(of: DataType)
    /// A resource or a part of one, with its fields in order.
    case entity(String, [DataField])
    /// The type, or `null`.
    case nullable(DataType)

    /// Buildbot's `type` text.
    var name: String {
        switch self {
        case .integer: "integer"
        case .string: "string"
        case .boolean: "boolean"
        case .datetime: "datetime"
        case .identifier: "identifier"
        case .jsonobject: "jsonobject"
        case .binary: "binary"
        case .sourcedproperties: "sourcedproperties"
        case .list: "list"
        case .entity(let name, _): name
        case .nullable(let type): "\(type.name) or None"
        }
    }

    /// Buildbot's `type_spec`: `{"name": ...}` for a plain type, `{"type": "list", "of": ...}` for a list,
    /// `{"type": ..., "fields": [...]}` for an entity; `"can_be_null": true` added for a nullable one.
    var spec: JSONValue {
        switch self {
        case .integer, .string, .boolean, .datetime, .identifier, .jsonobject, .binary, .sourcedproperties:
            return ["name": .string(name)]
        case .list(let element):
            return ["type": "list", "of": element.spec]
        case .entity(let name, let fields):
            return ["type": .string(name), "fields": .array(fields.map(\.spec))]
        case .nullable(let type):
            guard case .object(var object) = type.spec else { return type.spec }
            object["can_be_null"] = true
            return .object(object)
        }
    }
}

/// One field of an entity: its name and type.
struct DataField: Sendable {
    var name: String
    var type: DataType

    init(_ name: String, _ type: DataType) {
        self.name = name
        self.type = type
    }

    /// `{"name", "type", "type_spec"}`, as Buildbot lists a field.
    var spec: JSONValue {
        ["name": .string(name), "type": .string(type.name), "type_spec": type.spec]
    }
}
