extension WebTemplates {
    /// The templates of the build pages: home, builders, builder, build, log viewer and grid, and the table of
    /// builds they share (`build_table`, rendering the `rows` of its context).
    static let buildPages: [(name: String, bytes: [UInt8])] = [
        ("home", PackageResources.home_mustache),
        ("builders", PackageResources.builders_mustache),
        ("builder", PackageResources.builder_mustache),
        ("build", PackageResources.build_mustache),
        ("build_table", PackageResources.build_table_mustache),
        ("log", PackageResources.log_mustache),
        ("grid", PackageResources.grid_mustache),
    ]
}
