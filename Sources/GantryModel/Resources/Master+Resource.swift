extension Master {
    /// The master as the data API shows it (`/api/v2/masters`, `masters/<id>/...` events): its `Codable` form.
    public var resource: JSONValue { .resource(of: self) }
}
