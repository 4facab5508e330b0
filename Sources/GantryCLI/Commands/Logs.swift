import ArgumentParser
import Foundation
import GantryModel

extension GantryCommand {
    /// `gantry logs LOGID [--follow]`: a step's log as text, followed live as the build writes it.
    struct Logs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a log of a running master; with --follow, keep printing until the log is complete.",
            discussion: "Log ids are listed by GET /api/v2/steps/{stepid}/logs.")

        @OptionGroup var api: MasterAPIOptions
        @Argument(help: "The log id.") var logid: Int
        @Flag(help: "Print new lines as they arrive until the log is complete.") var follow = false

        func run() async throws {
            var next = 0
            while true {
                // Whether it was complete is read first: lines read afterwards are then the last ones.
                let log = try await api.get("/api/v2/logs/\(logid)")["logs"]?.elements.first
                let complete = log?["complete"] == .bool(true)
                let chunk = try await api.get("/api/v2/logs/\(logid)/contents?offset=\(next)")["logchunks"]?
                    .elements.first
                let text = chunk?["content"]?.string ?? ""
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
                let stdio = log?["type"] == .string("s")
                for line in lines { print(stdio ? line.dropFirst() : line) }
                next += lines.count
                guard follow, !complete else { return }
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }
}
