extension WebTemplates {
    /// The templates of the access pages: the login form and the audit log.
    static let accessPages: [(name: String, bytes: [UInt8])] = [
        ("login", PackageResources.login_mustache),
        ("audit", PackageResources.audit_mustache),
    ]
}
