import Foundation
import GantryConfig
import GantryModel
import Testing

/// `www`: Buildbot's own web UI, served from an installed buildbot-www.
@Suite("ConfigLoader: www")
struct WWWConfigTests {
    /// A configuration directory holding `static` (with an `index.html`) at `relative`, for the length of `body`.
    private func withBasedir<T>(
        staticFolder relative: String = "venv/lib/python3.11/site-packages/buildbot_www/static",
        _ body: (_ basedir: String) throws -> T
    ) throws -> T {
        let basedir = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-www-\(UUID())")
        let folder = basedir.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("<!DOCTYPE html>".utf8).write(to: folder.appendingPathComponent("index.html"))
        defer { try? FileManager.default.removeItem(at: basedir) }
        return try body(basedir.path)
    }

    private func problems(_ yaml: String, basedir: String) -> [String] {
        do {
            _ = try ConfigLoader(basedir: basedir, hostname: "build1").parse(yaml)
            return []
        } catch let error as ConfigError {
            return error.problems.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    @Test("the README's example is valid: the folder is taken relative to the configuration's directory")
    func readmeExample() throws {
        let readme = URL(filePath: #filePath).deletingLastPathComponent().appending(path: "../../README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let start = try #require(text.range(of: "<!-- www-example -->\n```yaml\n"))
        let end = try #require(text.range(of: "```", range: start.upperBound..<text.endIndex))
        let example = String(text[start.upperBound..<end.lowerBound])
        try withBasedir { basedir in
            let config = try ConfigLoader(basedir: basedir, hostname: "build1").parse(example)
            #expect(config.www.buildbotUI == basedir + "/venv/lib/python3.11/site-packages/buildbot_www/static")
        }
    }

    @Test("absent, nothing is served; an absolute folder is taken as it is")
    func paths() throws {
        #expect(try ConfigLoader(basedir: "/srv/gantry", hostname: "build1").parse("name: m").www == WWWConfig())
        try withBasedir(staticFolder: "static") { basedir in
            let config = try ConfigLoader(basedir: "/elsewhere", hostname: "build1").parse(
                "www: {buildbotUI: \(basedir)/static}")
            #expect(config.www.buildbotUI == basedir + "/static")
        }
    }

    @Test("a folder that is not buildbot-www's static folder is refused with a located reason")
    func refused() throws {
        try withBasedir(staticFolder: "static") { basedir in
            try FileManager.default.createDirectory(
                atPath: basedir + "/empty", withIntermediateDirectories: true)
            try Data("x".utf8).write(to: URL(fileURLWithPath: basedir + "/file"))
            let cases = [
                ("www: static", "www: must be a mapping like {buildbotUI: /path/to/buildbot_www/static}"),
                ("www: {buildbotUI: nowhere}", "www.buildbotUI: '\(basedir)/nowhere' does not exist"),
                ("www: {buildbotUI: file}", "www.buildbotUI: '\(basedir)/file' is not a directory"),
                ("www: {buildbotUI: empty}", "www.buildbotUI: '\(basedir)/empty' has no index.html"),
                ("www: {buildbotUI: \"\"}", "www.buildbotUI: must be a non-empty string"),
                ("www: {buildbotUI: static, port: 8010}", "www.port: unknown key (expected one of: buildbotUI)"),
            ]
            for (yaml, expected) in cases {
                let found = problems(yaml, basedir: basedir)
                #expect(found.contains { $0.hasPrefix(expected) }, "\(yaml): \(found)")
            }
            #expect(problems("www: {buildbotUI: static}", basedir: basedir) == [])
        }
    }
}
