import Foundation
import Testing

/// The YAML block of the project's README that follows `marker` (an HTML comment), so its examples are tested.
func readmeYAML(after marker: String) throws -> String {
    let readme = URL(filePath: #filePath).deletingLastPathComponent().appending(path: "../../README.md")
    let text = try String(contentsOf: readme, encoding: .utf8)
    let start = try #require(text.range(of: marker + "\n```yaml\n"))
    let end = try #require(text.range(of: "```", range: start.upperBound..<text.endIndex))
    return String(text[start.upperBound..<end.lowerBound])
}
