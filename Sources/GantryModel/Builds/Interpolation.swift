/// Buildbot's `Interpolate` in step texts: `%(prop:NAME)s`, `%(src:CODEBASE:FIELD)s`, `%(secret:NAME)s`.
///
/// Only `%(` starts an expression, so shell texts keep their `%` (`printf %s`, `date +%Y`); `%%(` is a literal
/// `%(`.
///
/// A property or source field may carry a default as Buildbot's do: `:-TEXT` (TEXT when unset), `:~TEXT` (TEXT
/// when unset or false-ish: empty, 0, false), `:+TEXT` (TEXT when set, else nothing). An unknown secret is an
/// error, never an empty text: a build must not run a command with a credential silently missing.
public struct Interpolation: Sendable {
    public var properties: [String: JSONValue]
    /// The build's source stamps by codebase.
    public var sourceStamps: [String: SourceStamp]
    public var secret: @Sendable (String) -> String?

    public init(
        properties: [String: JSONValue], sourceStamps: [String: SourceStamp],
        secret: @escaping @Sendable (String) -> String?
    ) {
        self.properties = properties
        self.sourceStamps = sourceStamps
        self.secret = secret
    }

    /// A rendered text and the secrets it used (name → value), which its logs must not show.
    public struct Rendered: Sendable, Hashable {
        public var text: String
        public var secrets: [String: String]
    }

    public enum Failure: Error, Hashable, CustomStringConvertible {
        case malformed(String)
        case unknownSecret(String)

        public var description: String {
            switch self {
            case .malformed(let text):
                "malformed interpolation in '\(text)': use %(prop:NAME)s, %(src:CODEBASE:FIELD)s or %(secret:NAME)s (%%( for a literal %( )"
            case .unknownSecret(let name): "secret '\(name)' is not defined"
            }
        }
    }

    public func render(_ text: String) throws(Failure) -> Rendered {
        var output = ""
        var secrets: [String: String] = [:]
        var rest = Substring(text)
        while let percent = rest.firstIndex(of: "%") {
            output += rest[..<percent]
            let after = rest[rest.index(after: percent)...]
            if after.hasPrefix("%(") {
                output += "%("
                rest = after.dropFirst(2)
                continue
            }
            guard after.first == "(" else {
                output += "%"
                rest = after
                continue
            }
            guard let close = after.firstIndex(of: ")"),
                after[after.index(after: close)...].first == "s"
            else { throw .malformed(text) }
            let expression = after[after.index(after: after.startIndex)..<close]
            output += try value(of: expression, in: text, secrets: &secrets)
            rest = after[after.index(close, offsetBy: 2)...]
        }
        output += rest
        return Rendered(text: output, secrets: secrets)
    }

    private func value(of expression: Substring, in text: String, secrets: inout [String: String]) throws(Failure)
        -> String
    {
        let (key, fallback) = Self.splitDefault(expression)
        let parts = key.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let found: JSONValue?
        switch (parts.first, parts.count) {
        case ("prop", 2): found = properties[parts[1]]
        case ("src", 3): found = sourceStamps[parts[1]].flatMap { Self.field(parts[2], of: $0) }
        case ("secret", 2) where fallback == nil:
            guard let value = secret(parts[1]) else { throw .unknownSecret(parts[1]) }
            secrets[parts[1]] = value
            return value
        default: throw .malformed(text)
        }
        guard let (operation, replacement) = fallback else { return found.map(Self.text) ?? "" }
        switch operation {
        case "-": return found.map(Self.text) ?? replacement
        case "~": return found.map(Self.text).flatMap { Self.isTruthy($0) ? $0 : nil } ?? replacement
        default: return found == nil ? "" : replacement
        }
    }

    /// `prop:NAME:-TEXT` → (`prop:NAME`, (`-`, `TEXT`)).
    private static func splitDefault(_ expression: Substring) -> (Substring, (Character, String)?) {
        var index = expression.startIndex
        while index < expression.endIndex {
            let next = expression.index(after: index)
            if expression[index] == ":", next < expression.endIndex, "-~+".contains(expression[next]) {
                return (
                    expression[..<index], (expression[next], String(expression[expression.index(after: next)...]))
                )
            }
            index = next
        }
        return (expression, nil)
    }

    private static func field(_ name: String, of stamp: SourceStamp) -> JSONValue? {
        switch name {
        case "repository": .string(stamp.repository)
        case "branch": stamp.branch.map(JSONValue.string)
        case "revision": stamp.revision.map(JSONValue.string)
        case "project": .string(stamp.project)
        case "codebase": .string(stamp.codebase)
        default: nil
        }
    }

    /// A property as text: strings as they are, whole numbers without a fraction, other values as JSON.
    public static func text(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): text
        case .null: ""
        case .number(let number): Int(exactly: number).map(String.init) ?? "\(number)"
        default: value.jsonText
        }
    }

    private static func isTruthy(_ text: String) -> Bool {
        !["", "0", "false", "False"].contains(text)
    }
}
