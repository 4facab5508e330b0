/// The `www` section: web UIs a master serves besides its own.
public struct WWWConfig: Sendable, Hashable {
    /// The `static` folder of an installed `buildbot-www` (4.3), as an absolute path: the master then serves
    /// Buildbot's own web UI from it at `/buildbot/`. `nil` serves none.
    public var buildbotUI: String?

    public init(buildbotUI: String? = nil) {
        self.buildbotUI = buildbotUI
    }
}
