extension WebTemplates {
    /// The templates of the farm pages: workers, pools, build requests, changes, schedulers, masters and
    /// reporters.
    static let farmPages: [(name: String, bytes: [UInt8])] = [
        ("workers", PackageResources.workers_mustache),
        ("pools", PackageResources.pools_mustache),
        ("buildrequests", PackageResources.buildrequests_mustache),
        ("changes", PackageResources.changes_mustache),
        ("schedulers", PackageResources.schedulers_mustache),
        ("masters", PackageResources.masters_mustache),
        ("reporters", PackageResources.reporters_mustache),
    ]
}
