import ArgumentParser
import Foundation
import GantryCommandLine
import GantryModel

extension GantryCommand {
    /// `gantry sendchange`: report a change to a master through its `base` change hook, as Buildbot's
    /// `buildbot sendchange` does.
    struct SendChange: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sendchange",
            abstract: "Send a change to a master's base change hook (changeHooks: {base: {}}).",
            discussion: "Prints the id of the stored change."
        )

        @OptionGroup var api: MasterAPIOptions
        @Option(help: "Who made the change.")
        var author: String
        @Option(help: "Who committed it, when not the author.")
        var committer: String?
        @Option(help: "The commit message.")
        var comments: String = ""
        @Option(name: .customLong("file"), help: "A file the change touched (repeatable).")
        var files: [String] = []
        @Option var revision: String?
        @Option var revlink: String?
        @Option(help: "The branch; leave it out for the repository's default branch.")
        var branch: String?
        @Option var repository: String = ""
        @Option var project: String = ""
        @Option var codebase: String = ""
        @Option var category: String?
        @Option(name: .customLong("property"), help: "A property as NAME=VALUE (repeatable).")
        var properties: [String] = []
        @Option(help: "When the change was made, in seconds since 1970; now when left out.")
        var when: Int?

        func run() async throws {
            var fields: [String: JSONValue] = [
                "author": .string(author), "comments": .string(comments), "files": .array(files.map(JSONValue.string)),
                "repository": .string(repository), "project": .string(project), "codebase": .string(codebase),
                "properties": .object(try parsedProperties()),
            ]
            let optional: [String: String?] = [
                "committer": committer, "revision": revision, "revlink": revlink, "branch": branch,
                "category": category, "when_timestamp": when.map(String.init),
            ]
            for case (let key, let value?) in optional { fields[key] = .string(value) }
            let (status, answer, text) = try await api.post("/change_hook/base", .object(fields))
            guard status == 200, let ids = answer?["changes"]?.elements else {
                throw CommandFailure("the master refused the change: \(answer?["error"]?.string ?? text)")
            }
            for id in ids.compactMap(\.integer) { print(id) }
        }

        private func parsedProperties() throws -> [String: JSONValue] {
            var parsed: [String: JSONValue] = [:]
            for property in properties {
                guard let equals = property.firstIndex(of: "="), equals != property.startIndex else {
                    throw CommandFailure("--property must be NAME=VALUE, not '\(property)'")
                }
                parsed[String(property[..<equals])] = .string(String(property[property.index(after: equals)...]))
            }
            return parsed
        }
    }
}
