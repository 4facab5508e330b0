public import GantryStorage

extension DatabaseURL {
    /// The URL as an operator writes it, password included, for the configuration of a master under test.
    /// (`description` masks the password, so it cannot be used for that.)
    public var textWithPassword: String {
        guard case .postgres(let location) = self else { return description }
        let password = location.password.map { ":\($0)" } ?? ""
        var text = "postgres://\(location.user)\(password)@\(location.host):\(location.port)/\(location.database)"
        text += "?sslmode=\(location.tls.rawValue)"
        if let schema = location.schema { text += "&schema=\(schema)" }
        return text
    }
}
