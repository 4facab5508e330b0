import GantryModel
import GantryScheduling

extension ForceScheduler {
    /// The scheduler as the data API shows it (`/api/v2/forceschedulers`), in the shape Buildbot's web UI draws its
    /// form from: `all_fields` holds its groups (``fieldGroups``) as `nested` fields, then its other parameters.
    /// The button and the label are its name, as Buildbot's are unless configured.
    func resource(enabled: Bool) -> JSONValue {
        .object([
            "name": .string(name),
            "button_name": .string(name),
            "label": .string(name),
            "builder_names": .array(options.builderNames.map(JSONValue.string)),
            "enabled": .bool(enabled),
            "all_fields": .array(
                fieldGroups.map(Self.field(for:)) + ungroupedParameters.map { Self.field($0, named: $0.name) }),
        ])
    }

    /// A group as Buildbot's `nested` field: two columns from four fields on, as Buildbot lays them out.
    private static func field(for group: FieldGroup) -> JSONValue {
        let codebase = group.codebase ?? ""
        let label = codebase.isEmpty ? "" : "Codebase: \(codebase)"
        var nested = commonKeys(
            name: codebase, fullName: codebase.isEmpty ? .null : .string(codebase), label: label, type: "nested",
            defaultValue: "")
        nested["columns"] = .number(group.parameters.count >= 4 ? 2 : 1)
        nested["layout"] = "vertical"
        nested["fields"] = .array(group.parameters.map { Self.field($0, named: group.shortName(of: $0)) })
        return .object(nested)
    }

    /// A parameter as Buildbot's field of its type, called `name` within its group; the form sends it by its full
    /// name, the parameter's.
    private static func field(_ parameter: ForceParameter, named name: String) -> JSONValue {
        let label = parameter.label ?? parameter.name
        var field = commonKeys(
            name: name, fullName: .string(parameter.name), label: label, type: parameter.kind.typeName,
            defaultValue: parameter.defaultValue ?? parameter.kind.emptyValue)
        field["required"] = .bool(parameter.required)
        field["maxsize"] = parameter.maxsize.map { JSONValue.number(Double($0)) } ?? JSONValue.null
        field["regex"] = parameter.regex.map { JSONValue.string($0.source) } ?? JSONValue.null
        switch parameter.kind {
        case .string, .int:
            field["size"] = 10
        case .username:
            field["size"] = 30
            // Any owner name is taken; Buildbot's UI asks for an email address only when this is true.
            field["need_email"] = false
        case .text:
            field["cols"] = 80
            field["rows"] = 20
        case .choice(let choices):
            field["choices"] = .array(choices.map(JSONValue.string))
            field["strict"] = true
        case .boolean:
            break
        }
        return .object(field)
    }

    /// The keys every field of Buildbot's form has, with their values for a field that is shown, optional, single
    /// and unchecked; those a parameter sets are replaced.
    private static func commonKeys(
        name: String, fullName: JSONValue, label: String, type: String, defaultValue: JSONValue
    ) -> [String: JSONValue] {
        [
            "name": .string(name), "fullName": fullName, "label": .string(label), "tablabel": .string(label),
            "type": .string(type), "default": defaultValue, "required": false, "hide": false, "multiple": false,
            "maxsize": .null, "regex": .null, "autopopulate": .null, "tooltip": "",
        ]
    }
}

extension ForceParameter.Kind {
    /// The name Buildbot's web UI knows the field type by.
    var typeName: String {
        switch self {
        case .string: "text"
        case .text: "textarea"
        case .int: "int"
        case .boolean: "bool"
        case .choice: "list"
        case .username: "username"
        }
    }
}
