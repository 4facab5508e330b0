import Foundation
import GantryModel

/// What Buildbot's web UI reads when it starts (`window.buildbotFrontendConfig` in its page, or `GET config` beside
/// it), with Buildbot 4.3's keys: who the reader is, whether there is a login, the page's own address, and what
/// the about page shows.
struct BuildbotFrontendConfig: Sendable, Equatable {
    /// Buildbot's placeholder in the UI's `index.html`, which the script setting the configuration replaces.
    static let placeholder = "<!-- BUILDBOT_CONFIG_PLACEHOLDER -->"

    /// The UI's page as the browser reaches it (`http://ci.example.com/buildbot/`): the UI warns when its address
    /// differs (as Buildbot's `c['buildbotURL']` does).
    var buildbotURL: String
    /// Where the title links: Gantry's own web UI.
    var titleURL: String
    var port: Int
    /// Whether the master has `auth`; the UI then shows a login or logout link.
    var authenticates: Bool
    /// Who is reading.
    var caller: Caller
    /// Gantry's version, for the about page.
    var version: String
    var title = "Gantry"

    /// The configuration as Buildbot renders it.
    var json: JSONValue {
        let user: JSONValue =
            if let name = caller.user {
                .object([
                    "anonymous": false, "username": .string(name),
                    "groups": .array(caller.roles.sorted().map { .string($0) }),
                ])
            } else {
                .object(["anonymous": true])
            }
        return .object([
            "auth": authenticates ? .object(["name": "Gantry", "oauth2": false]) : .object(["name": "NoAuth"]),
            "authz": .object([:]),
            "avatar_methods": .array([]),
            "buildbotURL": .string(buildbotURL),
            "logfileName": "http.log",
            "multiMaster": true,
            "plugins": .object([:]),
            "port": .number(Double(port)),
            "title": .string(title),
            "titleURL": .string(titleURL),
            "user": user,
            "versions": .array([.array([.string("Gantry"), .string(version)])]),
        ])
    }

    /// The JSON text, safe inside an HTML `<script>`: `<`, `>` and `&` (which JSON has only inside strings) are
    /// written as `\u003c`, `\u003e` and `\u0026`, so no value can end the script.
    var scriptSafeJSON: String {
        var text = ""
        for character in json.jsonText.unicodeScalars {
            switch character {
            case "<": text += "\\u003c"
            case ">": text += "\\u003e"
            case "&": text += "\\u0026"
            default: text.unicodeScalars.append(character)
            }
        }
        return text
    }

    /// `html` (the UI's `index.html`) with Buildbot's placeholder, and the space before it, replaced by the script
    /// setting `window.buildbotFrontendConfig`, as Buildbot does; unchanged without the placeholder (the UI then
    /// asks for `config`).
    func inject(into html: String) -> String {
        let script = #"<script id="bb-config">window.buildbotFrontendConfig = "# + scriptSafeJSON + ";</script>"
        guard let range = html.range(of: " " + Self.placeholder) ?? html.range(of: Self.placeholder) else {
            return html
        }
        var injected = html
        injected.replaceSubrange(range, with: script)
        return injected
    }

    /// The UI's address, Gantry's own and the port, from the master's `publicURL` when set, else from the address
    /// the request was sent to (`authority`, its `Host`) over `scheme`.
    /// - Parameter mount: The UI's path (``BuildbotUI/mountPath``).
    static func addresses(
        publicURL: String?, scheme: String, authority: String?, mount: String
    ) -> (buildbotURL: String, titleURL: String, port: Int) {
        let base: String
        let port: Int?
        if let publicURL {
            base = publicURL.hasSuffix("/") ? publicURL : publicURL + "/"
            let afterScheme = publicURL.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first
            port = afterScheme.flatMap { Self.port(of: String($0)) }
        } else {
            let host = authority.flatMap { $0.isEmpty ? nil : $0 } ?? "localhost"
            base = "\(scheme)://\(host)/"
            port = Self.port(of: host)
        }
        let defaultPort = (publicURL.map { $0.lowercased().hasPrefix("https:") } ?? (scheme == "https")) ? 443 : 80
        return (base + String(mount.drop { $0 == "/" }) + "/", base, port ?? defaultPort)
    }

    /// The port of `host:port` or `[v6]:port`; `nil` without one.
    static func port(of authority: String) -> Int? {
        if authority.hasPrefix("[") {
            guard let end = authority.range(of: "]:") else { return nil }
            return Int(authority[end.upperBound...])
        }
        guard let colon = authority.lastIndex(of: ":"), authority.firstIndex(of: ":") == colon else { return nil }
        return Int(authority[authority.index(after: colon)...])
    }
}
