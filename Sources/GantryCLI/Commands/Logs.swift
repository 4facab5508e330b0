import ArgumentParser
import Foundation
import GantryModel

extension GantryCommand {
    /// `gantry logs LOGID [--follow]`: a step's log as text, followed live as the build writes it.
    struct Logs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a log of a running master; with --follow, keep printing until the log is complete.",
            discussion: """
                Log ids are listed by GET /api/v2/steps/{stepid}/logs. With --follow, new lines are fetched as the \
                master's event stream announces them, reconnecting when the connection drops.
                """)

        @OptionGroup var api: MasterAPIOptions
        @Argument(help: "The log id.") var logid: Int
        @Flag(help: "Print new lines as they arrive until the log is complete.") var follow = false

        func run() async throws {
            var printer = LogPrinter(api: api, logid: logid)
            let complete = try await printer.printNew()
            guard follow, !complete else { return }
            // Each (re)connection and each event of the log reads what is new, so an event missed while the stream
            // was down costs nothing; the log is read to its end once it is complete.
            try await EventStream(api: api, paths: ["logs/\(logid)/*"]).follow { _ in
                try await printer.printNew()
            }
        }
    }
}

/// Prints a log's lines as the master stores them, remembering how far it got.
private struct LogPrinter {
    let api: MasterAPIOptions
    let logid: Int
    /// The number of the next line to print.
    var next = 0
    /// The lines asked for at once.
    static let page = 10_000

    /// Prints the lines stored after those printed so far.
    /// - Returns: Whether the log is complete, so no line follows them.
    mutating func printNew() async throws -> Bool {
        // Whether it was complete is read first: lines read afterwards are then the last ones.
        let log = try await api.get("/api/v2/logs/\(logid)")["logs"]?.elements.first
        let complete = log?["complete"] == .bool(true)
        let stdio = log?["type"] == .string("s")
        while true {
            let chunk = try await api.get("/api/v2/logs/\(logid)/contents?offset=\(next)&limit=\(Self.page)")[
                "logchunks"]?.elements.first
            // Split at `\n` bytes: a line ending in `\r` is a line all the same (`\r\n` is one Character).
            let lines = (chunk?["content"]?.string ?? "").utf8.split(
                separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false
            ).dropLast()
            let text = lines.map { Substring(stdio ? $0.dropFirst() : $0) + "\n" }.joined()
            try FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
            next += lines.count
            if lines.count < Self.page { return complete }
        }
    }
}
