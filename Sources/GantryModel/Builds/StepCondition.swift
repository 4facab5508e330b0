/// When a step runs (Buildbot's `doStepIf`), as a test of one build property: a step whose condition does not
/// hold when it is reached ends SKIPPED without running, which leaves the build's result as it was.
///
/// Values are compared as text, as interpolation shows them (`5`, `true`, `main`); a property that is not set
/// equals nothing, so `notEquals` holds for it.
public struct StepCondition: Sendable, Hashable {
    public enum Test: Sendable, Hashable {
        case equals(String)
        case notEquals(String)
        /// One of these values.
        case oneOf([String])
        /// Set (`true`) or not set (`false`), whatever its value.
        case exists(Bool)
    }

    public var property: String
    public var test: Test

    public init(property: String, _ test: Test) {
        self.property = property
        self.test = test
    }

    /// Whether the condition holds for the build's property values (`name: value`).
    public func holds(for properties: [String: JSONValue]) -> Bool {
        let text = properties[property].map(Interpolation.text)
        switch test {
        case .equals(let value): return text == value
        case .notEquals(let value): return text != value
        case .oneOf(let values): return text.map { values.contains($0) } ?? false
        case .exists(let expected): return (text != nil) == expected
        }
    }
}
