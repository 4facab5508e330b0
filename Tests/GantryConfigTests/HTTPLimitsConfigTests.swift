import Foundation
import GantryConfig
import GantryModel
import Testing

/// `http` is an address, or a mapping of the address and the HTTP port's limits.
@Suite("ConfigLoader: http")
struct HTTPLimitsConfigTests {
    let loader = ConfigLoader(basedir: "/srv/gantry", hostname: "build1")

    @Test("an address alone keeps the default limits")
    func addressAlone() throws {
        let config = try loader.parse("http: 127.0.0.2:9000")
        #expect(config.http == ListenAddress(host: "127.0.0.2", port: 9000))
        #expect(config.httpLimits == HTTPLimits())
        #expect(
            HTTPLimits() == HTTPLimits(headerTimeout: .seconds(10), idleTimeout: .seconds(60), maxConnections: 1000))
    }

    @Test("a mapping sets the address and the limits; what it leaves out keeps its default")
    func mapping() throws {
        let config = try loader.parse(
            """
            http: {address: "127.0.0.1:9000", headerTimeout: 5s, maxConnections: 200}
            """)
        #expect(config.http == ListenAddress(host: "127.0.0.1", port: 9000))
        #expect(
            config.httpLimits == HTTPLimits(headerTimeout: .seconds(5), idleTimeout: .seconds(60), maxConnections: 200))

        let limitsOnly = try loader.parse("http: {idleTimeout: 2m}")
        #expect(limitsOnly.http == ListenAddress(host: "127.0.0.1", port: 8010))
        #expect(limitsOnly.httpLimits.idleTimeout == .seconds(120))
    }

    @Test("the README's Limits example is valid and shows the defaults")
    func readmeExample() throws {
        let readme = URL(filePath: #filePath).deletingLastPathComponent().appending(path: "../../README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let section = try #require(text.range(of: "### Limits\n"))
        let start = try #require(text.range(of: "```yaml\n", range: section.upperBound..<text.endIndex))
        let end = try #require(text.range(of: "```", range: start.upperBound..<text.endIndex))
        let config = try loader.parse(String(text[start.upperBound..<end.lowerBound]))
        #expect(config.http == ListenAddress(host: "127.0.0.1", port: 8010))
        #expect(config.httpLimits == HTTPLimits())
    }

    @Test("bad values and unknown keys are located and explained")
    func errors() {
        let error = #expect(throws: ConfigError.self) {
            try loader.parse(
                """
                http: {address: nowhere, headerTimeout: 0s, idleTimeout: soon, maxConnections: 0, backlog: 5}
                """)
        }
        #expect(
            error?.problems.map(\.description) == [
                "http.backlog: unknown key (expected one of: address, headerTimeout, idleTimeout, insecure, maxConnections, tls)",
                "http.address: must be host:port, like 127.0.0.1:8010 or :8010",
                "http.headerTimeout: must be positive",
                "http.idleTimeout: must be a duration like 500ms, 2s, 5m or 1h",
                "http.maxConnections: must be a positive number of connections",
            ])
        let list = #expect(throws: ConfigError.self) { try loader.parse("http: [a, b]") }
        #expect(
            list?.problems.map(\.description) == [
                "http: must be host:port, or a mapping of address, headerTimeout, idleTimeout and maxConnections"
            ])
    }
}
