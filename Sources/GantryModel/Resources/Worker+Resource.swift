extension Worker {
    /// The worker as the data API shows it (`/api/v2/workers`, `workers/<id>/...` events): its `Codable` form.
    public var resource: JSONValue { .resource(of: self) }
}
