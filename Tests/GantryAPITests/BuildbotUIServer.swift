import Foundation
import GantryAPI
import GantryModel
import GantryStorage
import GantryTesting

/// A stand-in for buildbot-www's `static` folder: an `index.html` with Buildbot's placeholder, a hashed asset, an
/// icon, a hidden file, and symbolic links leading inside the folder and out of it (to a secret beside it).
struct FakeBuildbotStatic {
    static let asset = "assets/index-T3stHash.js"
    static let assetText = "console.log('the ui');\n"
    static let index = """
        <!DOCTYPE html>
        <html lang="en">
          <head>
            <title>Buildbot</title>
            <script type="module" crossorigin src="./\(asset)"></script>
          </head>
          <body><div id="root"></div></body>
          <!-- BUILDBOT_CONFIG_PLACEHOLDER -->
        </html>
        """

    /// The `static` folder.
    let folder: URL
    /// The folder holding it, removed with it.
    let parent: URL

    init() throws {
        let files = FileManager.default
        parent = files.temporaryDirectory.appendingPathComponent("gantry-buildbot-ui-\(UUID())")
        folder = parent.appendingPathComponent("static")
        try files.createDirectory(at: folder.appendingPathComponent("assets"), withIntermediateDirectories: true)
        try Data(Self.index.utf8).write(to: folder.appendingPathComponent("index.html"))
        try Data(Self.assetText.utf8).write(to: folder.appendingPathComponent(Self.asset))
        try Data("<svg xmlns=\"http://www.w3.org/2000/svg\"/>".utf8).write(
            to: folder.appendingPathComponent("icon.svg"))
        try Data("hidden".utf8).write(to: folder.appendingPathComponent(".hidden"))
        try Data("secret".utf8).write(to: parent.appendingPathComponent("secret.txt"))
        try files.createSymbolicLink(
            atPath: folder.appendingPathComponent("outside.txt").path, withDestinationPath: "../secret.txt")
        try files.createSymbolicLink(
            atPath: folder.appendingPathComponent("alias.js").path, withDestinationPath: Self.asset)
    }

    func remove() {
        try? FileManager.default.removeItem(at: parent)
    }
}

/// Runs the HTTP API of `database` on a free local port, within `limits`, with Buildbot's UI served from a fake
/// `static` folder, for the length of `body`, which gets the server's address.
func withBuildbotUIServer<T: Sendable>(
    _ database: Database,
    access: AccessControl = AccessControl(nil),
    limits: HTTPLimits = HTTPLimits(),
    isolation: isolated (any Actor)? = #isolation,
    _ body: (URL) async throws -> T
) async throws -> T {
    let ui = try FakeBuildbotStatic()
    defer { ui.remove() }
    return try await withAPIServer(
        database, limits: limits, access: access, buildbotUI: BuildbotUI(folder: ui.folder.path), body)
}

/// `GET path` on `base` with `Host` naming it as a browser would, and `headers` (`Name: value`).
func buildbotUIGet(_ base: URL, _ path: String, headers: [String] = []) async throws -> RawAnswer {
    let head = (["GET \(path) HTTP/1.1", "Host: 127.0.0.1:\(base.port ?? 0)"] + headers).joined(separator: "\r\n")
    return try await rawExchange(base, head: head + "\r\n\r\n")
}
