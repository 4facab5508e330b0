extension Builder {
    /// The builder as the data API shows it (`/api/v2/builders`): its `Codable` form.
    public var resource: JSONValue { .resource(of: self) }
}
