import Crypto
import Foundation
import Hummingbird
import NIOCore

/// The web UI's scripts and stylesheet, compiled into the binary. Pages name each with a hash of its bytes
/// (`/assets/live.js?v=3f2a…`), so a browser may keep it for a year: a new build changes the name.
enum WebAssets {
    struct Asset: Sendable {
        let bytes: [UInt8]
        let contentType: String
        /// The first 12 hex digits of the bytes' SHA-256.
        let version: String
    }

    /// By file name, hashed once.
    static let byName: [String: Asset] = {
        var assets: [String: Asset] = [:]
        for file in files {
            let type = file.name.hasSuffix(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8"
            let digest = SHA256.hash(data: file.bytes).prefix(6)
            let version = digest.map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
            assets[file.name] = Asset(bytes: file.bytes, contentType: type, version: version)
        }
        return assets
    }()

    /// Every file of `Web/Assets`, each under the name SwiftPM gives its embedded bytes. Scripts import each
    /// other by plain name (`./feed.js`), so every file is listed, not only those the pages name.
    private static let files: [(name: String, bytes: [UInt8])] = [
        ("gantry.css", PackageResources.gantry_css),
        ("live.js", PackageResources.live_js),
        ("log.js", PackageResources.log_js),
        ("feed.js", PackageResources.feed_js),
        ("livemodel.js", PackageResources.livemodel_js),
        ("logmodel.js", PackageResources.logmodel_js),
        ("ansi.js", PackageResources.ansi_js),
    ]

    /// The path a page names asset `name` by, with its version.
    static func path(_ name: String) -> String {
        "/assets/\(name)?v=\(byName[name]?.version ?? "")"
    }

    /// `GET /assets/{file}`: the asset, kept by browsers for a year when asked for by its current version and
    /// checked again on every use otherwise (a script's imports name no version).
    static func addRoutes(to router: Router<APIRequestContext>) {
        router.get("/assets/{file}") { request, context -> Response in
            guard let asset = context.parameters.get("file").flatMap({ byName[$0] }) else {
                return Response(
                    status: .notFound, headers: [.contentType: "text/plain; charset=utf-8"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: "no such asset")))
            }
            let current = request.uri.queryParameters["v"].map { String($0) } == asset.version
            return Response(
                status: .ok,
                headers: [
                    .contentType: asset.contentType,
                    .cacheControl: current ? "public, max-age=31536000, immutable" : "no-cache",
                ],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: asset.bytes)))
        }
    }
}
