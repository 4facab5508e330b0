import Foundation

/// Where the web UI's tests find what they run: the package's own files, and the programs the environment
/// provides (CI installs them; elsewhere the tests that need one are skipped).
enum WebTestTools {
    /// The package's root directory: the nearest one above this file that holds `Package.swift`.
    static let packageRoot: URL = {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path),
            directory.pathComponents.count > 1
        {
            directory.deleteLastPathComponent()
        }
        return directory
    }()

    /// Node.js: `GANTRY_TEST_NODE`, else `node` on `PATH`.
    static var node: String? { variable("GANTRY_TEST_NODE") ?? onPath("node") }

    /// The Python of an environment where Playwright is installed: `GANTRY_TEST_PLAYWRIGHT_PYTHON`.
    static var playwrightPython: String? { variable("GANTRY_TEST_PLAYWRIGHT_PYTHON") }

    /// The Chromium Playwright drives: `GANTRY_TEST_CHROMIUM`.
    static var chromium: String? { variable("GANTRY_TEST_CHROMIUM") }

    /// The test files under `directory`, relative to the package root, chosen as `node --test DIRECTORY` chooses
    /// them up to Node.js 20 (`*.test.js`, `*-test.mjs`, `*_test.cjs`, `test-*.js`, `test.js`). Since Node.js 21
    /// a directory argument is read as a file pattern instead, so the files are named one by one.
    static func javaScriptTests(in directory: URL) -> [String] {
        let root = packageRoot.standardizedFileURL.path + "/"
        let files =
            FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL } ?? []
        return files.filter { !$0.pathComponents.contains("node_modules") && isTestFile($0) }
            .map { $0.standardizedFileURL.path }
            .map { $0.hasPrefix(root) ? String($0.dropFirst(root.count)) : $0 }
            .sorted()
    }

    private static func isTestFile(_ file: URL) -> Bool {
        guard ["js", "mjs", "cjs"].contains(file.pathExtension) else { return false }
        let stem = file.deletingPathExtension().lastPathComponent
        return stem == "test" || (stem.hasPrefix("test-") && stem.count > 5)
            || [".test", "-test", "_test"].contains { stem.hasSuffix($0) && stem.count > $0.count }
    }

    private static func variable(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    private static func onPath(_ name: String) -> String? {
        (variable("PATH") ?? "").split(separator: ":")
            .map { URL(fileURLWithPath: String($0)).appendingPathComponent(name).path }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
