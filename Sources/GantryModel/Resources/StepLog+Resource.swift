extension StepLog {
    /// The log as the data API shows it (`/api/v2/logs/{id}`, `logs/<id>/...` events): its line count, never
    /// its lines.
    public var resource: JSONValue {
        .object([
            "logid": .number(Double(id)), "name": .string(name), "slug": .string(slug),
            "stepid": .number(Double(stepID)), "complete": .bool(complete),
            "num_lines": .number(Double(numLines)), "type": .string(kind.rawValue),
        ])
    }
}
