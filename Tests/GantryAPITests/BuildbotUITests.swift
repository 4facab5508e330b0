import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@testable import GantryAPI

@Suite("Buildbot's web UI served from its static folder", .paced, .timeLimit(.minutes(3)))
struct BuildbotUITests {
    /// The configuration the page sets, parsed from its script.
    private func injectedConfig(_ page: String) throws -> JSONValue {
        let opening = #"<script id="bb-config">window.buildbotFrontendConfig = "#
        let start = try #require(page.range(of: opening))
        let end = try #require(page.range(of: ";</script>", range: start.upperBound..<page.endIndex))
        return try JSONValue(json: String(page[start.upperBound..<end.lowerBound]))
    }

    private func text(_ answer: RawAnswer) -> String {
        String(decoding: answer.body, as: UTF8.self)
    }

    @Test("the page carries Buildbot's configuration in place of the placeholder, as /buildbot/config does")
    func page() async throws {
        let keys = try #require(
            try JSONValue(json: String(contentsOf: Self.fixture, encoding: .utf8))["config_keys"]?.elements)
        try await withTestDatabase(.sqlite) { db in
            try await withBuildbotUIServer(db) { base in
                let port = try #require(base.port)
                let page = try await buildbotUIGet(base, "/buildbot/")
                #expect(page.status == 200)
                #expect(page.headers["content-type"] == "text/html; charset=utf-8")
                #expect(page.headers["cache-control"] == "no-store")
                let html = text(page)
                #expect(!html.contains("BUILDBOT_CONFIG_PLACEHOLDER"))
                #expect(html.contains(#" <script id="bb-config">window.buildbotFrontendConfig = {"#))
                #expect(html.contains(#"src="./assets/index-T3stHash.js""#))
                let config = try injectedConfig(html)
                guard case .object(let members) = config else {
                    Issue.record("not an object: \(config)")
                    return
                }
                #expect(members.keys.sorted() == keys.compactMap(\.string).sorted())
                #expect(config["buildbotURL"] == .string("http://127.0.0.1:\(port)/buildbot/"))
                #expect(config["titleURL"] == .string("http://127.0.0.1:\(port)/"))
                #expect(config["port"]?.integer == port)
                #expect(config["auth"] == ["name": "NoAuth"])
                #expect(config["user"] == ["anonymous": true])
                #expect(config["multiMaster"] == true && config["title"] == "Gantry")
                #expect(config["versions"] == [["Gantry", .string(BuildbotUI.gantryVersion)]])

                let answer = try await buildbotUIGet(base, "/buildbot/config")
                #expect(answer.status == 200 && answer.headers["content-type"] == "application/json")
                #expect(try JSONValue(json: text(answer)) == config)

                for path in ["/buildbot", "/buildbot/index.html"] {
                    let moved = try await buildbotUIGet(base, path)
                    #expect(moved.status == 301 && moved.headers["location"] == "/buildbot/", "\(path)")
                }
            }
        }
    }

    @Test("files are served with their types and caching; nothing outside the folder or hidden is")
    func files() async throws {
        try await withTestDatabase(.sqlite) { db in
            try await withBuildbotUIServer(db) { base in
                let asset = try await buildbotUIGet(base, "/buildbot/\(FakeBuildbotStatic.asset)")
                #expect(asset.status == 200 && text(asset) == FakeBuildbotStatic.assetText)
                #expect(asset.headers["content-type"] == "text/javascript; charset=utf-8")
                #expect(asset.headers["cache-control"] == "public, max-age=31536000, immutable")
                #expect(asset.headers["x-content-type-options"] == "nosniff")
                // The UI asks for its icon at buildbotURL + "/icon.svg": the empty segment is skipped.
                for path in ["/buildbot/icon.svg", "/buildbot//icon.svg"] {
                    let icon = try await buildbotUIGet(base, path)
                    #expect(icon.status == 200 && icon.headers["content-type"] == "image/svg+xml", "\(path)")
                    #expect(icon.headers["cache-control"] == "no-cache")
                }
                // A link to a file inside the folder is followed.
                let alias = try await buildbotUIGet(base, "/buildbot/alias.js")
                #expect(alias.status == 200 && text(alias) == FakeBuildbotStatic.assetText)
                #expect(alias.headers["cache-control"] == "no-cache")
                for path in [
                    "/buildbot/../secret.txt", "/buildbot/%2e%2e/secret.txt", "/buildbot/assets/..%2F..%2Fsecret.txt",
                    "/buildbot/assets/%2e%2e/%2e%2e/secret.txt", "/buildbot/outside.txt", "/buildbot/.hidden",
                    "/buildbot/assets", "/buildbot/missing.js", "/buildbot/assets/%00.js",
                ] {
                    let refused = try await buildbotUIGet(base, path)
                    #expect(refused.status == 404, "\(path)")
                    #expect(!text(refused).contains("secret") && !text(refused).contains("hidden"), "\(path)")
                }
            }
        }
    }

    @Test("the UI's data API is Gantry's, under the UI's path; its socket path wants an upgrade")
    func api() async throws {
        try await withTestDatabase(.sqlite) { db in
            _ = try await startedBuild(db)
            try await withBuildbotUIServer(db) { base in
                for path in ["/api/v2/builds", "/api/v2/builds?limit=1", "/api/v2/masters/1"] {
                    let direct = try await buildbotUIGet(base, path)
                    let mounted = try await buildbotUIGet(base, "/buildbot" + path)
                    #expect(direct.status == mounted.status && direct.body == mounted.body, "\(path)")
                }
                #expect(try await buildbotUIGet(base, "/buildbot/api/v2/builds")["meta"]?["total"] == 1)
                #expect(try await buildbotUIGet(base, "/buildbot/api/v2x").status == 404)
                let socket = try await buildbotUIGet(base, "/buildbot/ws")
                #expect(socket.status == 426 && socket.headers["upgrade"] == "websocket")
                let login = try await buildbotUIGet(base, "/buildbot/auth/login?redirect=/builders/1")
                #expect(login.status == 303)
                #expect(login.headers["location"] == "/login?next=%2Fbuildbot%2F%23%2Fbuilders%2F1")
            }
        }
    }

    @Test("with anonymous: none the page sends strangers to log in, and a logged-in reader is named in its config")
    func access() async throws {
        var settings = AuthAPITests.settings
        settings.policy.anonymous = .none
        try await withTestDatabase(.sqlite) { db in
            try await withBuildbotUIServer(db, access: AccessControl(settings)) { base in
                let page = try await buildbotUIGet(base, "/buildbot/")
                #expect(page.status == 303 && page.headers["location"] == "/login?next=%2Fbuildbot%2F")
                #expect(try await buildbotUIGet(base, "/buildbot/api/v2/builds").status == 401)
                #expect(try await buildbotUIGet(base, "/buildbot/\(FakeBuildbotStatic.asset)").status == 303)
                let basic = "Authorization: Basic " + Data("alice:alice-pw".utf8).base64EncodedString()
                let answer = try await buildbotUIGet(base, "/buildbot/config", headers: [basic])
                let config = try JSONValue(json: text(answer))
                #expect(config["auth"]?["name"] == "Gantry")
                #expect(config["user"]?["username"] == "alice" && config["user"]?["anonymous"] == false)
                #expect(try await buildbotUIGet(base, "/buildbot/api/v2/builds", headers: [basic]).status == 200)
            }
        }
    }

    @Test("the frontend configuration cannot end its script, and names the UI's address as users reach it")
    func configText() {
        let config = BuildbotFrontendConfig(
            buildbotURL: "http://h/buildbot/", titleURL: "http://h/", port: 80, authenticates: true,
            caller: Caller(user: "</script><b>&", roles: ["admin"], source: .session), version: "1")
        #expect(!config.scriptSafeJSON.contains("<") && !config.scriptSafeJSON.contains("&"))
        #expect((try? JSONValue(json: config.scriptSafeJSON)) == config.json)
        #expect(config.inject(into: "<p>no placeholder</p>") == "<p>no placeholder</p>")
        let public1 = BuildbotFrontendConfig.addresses(
            publicURL: "https://ci.example.com:8443/ci", scheme: "http", authority: "10.0.0.1:8010", mount: "/buildbot")
        #expect(public1.buildbotURL == "https://ci.example.com:8443/ci/buildbot/")
        #expect(public1.titleURL == "https://ci.example.com:8443/ci/" && public1.port == 8443)
        let own = BuildbotFrontendConfig.addresses(
            publicURL: nil, scheme: "https", authority: "[::1]:8443", mount: "/buildbot")
        #expect(own.buildbotURL == "https://[::1]:8443/buildbot/" && own.port == 8443)
        #expect(
            BuildbotFrontendConfig.addresses(publicURL: nil, scheme: "https", authority: nil, mount: "/buildbot").port
                == 443)
    }

    @Test(
        "a static name is checked before the file system sees it",
        arguments: [
            ("/assets/index-D1Qujclx.js", "assets/index-D1Qujclx.js"), ("//icon.svg", "icon.svg"),
            ("/a%20b.css", "a b.css"), ("/..", nil), ("/a/../b", nil), ("/%2e%2e", nil), ("/a%2Fb", nil),
            ("/.env", nil), ("/a%5Cb", nil), ("/a%0Ab", nil), ("/%zz", nil), ("/", nil), ("", nil),
        ] as [(String, String?)])
    func staticNames(_ path: String, _ relative: String?) {
        #expect(BuildbotStaticPath(Substring(path))?.relative == relative)
    }

    @Test("content types and caching by name")
    func staticTypes() throws {
        let script = try #require(BuildbotStaticPath("assets/index-D1Qujclx.js"))
        #expect(script.contentType == "text/javascript; charset=utf-8" && script.cacheControl.contains("immutable"))
        let style = try #require(BuildbotStaticPath("assets/index-CQKNRskk.css"))
        #expect(style.contentType == "text/css; charset=utf-8" && style.cacheControl.contains("immutable"))
        #expect(try #require(BuildbotStaticPath("browser-warning.js")).cacheControl == "no-cache")
        #expect(try #require(BuildbotStaticPath("assets/logo.png")).cacheControl == "no-cache")
        #expect(try #require(BuildbotStaticPath("icon.png")).contentType == "image/png")
        #expect(try #require(BuildbotStaticPath("LICENSE")).contentType == "application/octet-stream")
        #expect(
            MountedAPIResponder.apiPath("/buildbot/api/v2/builds?limit=1", under: "/buildbot")
                == "/api/v2/builds?limit=1")
        #expect(MountedAPIResponder.apiPath("/buildbot/api/v2", under: "/buildbot") == "/api/v2")
        #expect(MountedAPIResponder.apiPath("/buildbot/api/v2x", under: "/buildbot") == nil)
        #expect(MountedAPIResponder.apiPath("/buildbot/assets/x.js", under: "/buildbot") == nil)
        #expect(MountedAPIResponder.apiPath("/api/v2/builds", under: "/buildbot") == nil)
    }

    static let fixture = URL(filePath: #filePath).deletingLastPathComponent()
        .appending(path: "Fixtures/buildbot-4.3-api.json")
}
