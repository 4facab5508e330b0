/// One typed field of a force scheduler's form, as Buildbot's force parameters. Its value becomes a build
/// property of the same name.
public struct ForceParameter: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case string
        /// A multi-line string.
        case text
        case int
        case boolean
        /// One of `choices`.
        case choice([String])
        /// Who forces the build, when the request does not say.
        case username
    }

    public var name: String
    public var kind: Kind
    public var label: String?
    /// Used when the request leaves the parameter out.
    public var defaultValue: JSONValue?
    /// An empty or missing value is an error.
    public var required: Bool
    /// A regular expression strings must match from their start.
    public var regex: Pattern?
    /// The longest string accepted, in characters.
    public var maxsize: Int?

    public init(
        name: String,
        kind: Kind,
        label: String? = nil,
        defaultValue: JSONValue? = nil,
        required: Bool = false,
        regex: Pattern? = nil,
        maxsize: Int? = nil
    ) {
        self.name = name
        self.kind = kind
        self.label = label
        self.defaultValue = defaultValue
        self.required = required
        self.regex = regex
        self.maxsize = maxsize
    }

    /// The value to use for `given` (absent is `nil`), or the reason it is refused.
    public func validate(_ given: JSONValue?) -> Result<JSONValue, ForceParameterError> {
        let given = given == .null || given == .string("") ? nil : given
        if required && given == nil && (defaultValue == nil || defaultValue == .string("")) {
            return .failure(ForceParameterError(name: name, message: "is required"))
        }
        let value = given ?? defaultValue ?? kind.emptyValue
        switch kind {
        case .string, .text, .username:
            guard case .string(let text) = value else { return fail("must be a string") }
            if let maxsize, text.count > maxsize { return fail("must be at most \(maxsize) characters") }
            if let regex, !text.isEmpty, !regex.matchesPrefix(text) { return fail("must match '\(regex)'") }
            if kind != .text && text.contains("\n") { return fail("must be a single line") }
            return .success(value)
        case .int:
            if case .number(let number) = value, number == number.rounded() { return .success(value) }
            if case .string(let text) = value, let number = Int(text) { return .success(.number(Double(number))) }
            return fail("must be an integer")
        case .boolean:
            if case .bool = value { return .success(value) }
            if case .string(let text) = value, ["true", "false"].contains(text) {
                return .success(.bool(text == "true"))
            }
            return fail("must be true or false")
        case .choice(let choices):
            guard case .string(let text) = value, choices.contains(text) else {
                return fail("must be one of: \(choices.joined(separator: ", "))")
            }
            return .success(value)
        }
    }

    private func fail(_ message: String) -> Result<JSONValue, ForceParameterError> {
        .failure(ForceParameterError(name: name, message: message))
    }
}

extension ForceParameter.Kind {
    /// What a parameter with no value and no default gets.
    public var emptyValue: JSONValue {
        switch self {
        case .string, .text, .username: ""
        case .int: 0
        case .boolean: false
        case .choice(let choices): choices.first.map(JSONValue.string) ?? ""
        }
    }
}

/// Why one force parameter was refused.
public struct ForceParameterError: Error, Sendable, Hashable {
    public var name: String
    public var message: String

    public init(name: String, message: String) {
        self.name = name
        self.message = message
    }
}
