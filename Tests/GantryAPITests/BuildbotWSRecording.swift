import Foundation
import GantryModel

/// The WebSocket session recorded from a real Buildbot 4.3 master (`ws` in
/// `Fixtures/buildbot-4.3-api.json`): what a client sent, what the master answered, and the events a forced build
/// produced while the client consumed every path Buildbot's web UI uses.
struct BuildbotWSRecording {
    /// One line of the recording.
    struct Entry {
        /// `send` (client to master) or `recv`; `nil` for a note.
        var direction: String?
        /// The frame's text as it crossed the socket.
        var raw: String?
        /// The frame parsed.
        var json: JSONValue?
        var note: String?
    }

    let entries: [Entry]

    init() throws {
        let url = URL(filePath: #filePath).deletingLastPathComponent()
            .appending(path: "Fixtures/buildbot-4.3-api.json")
        let fixture = try JSONValue(json: String(contentsOf: url, encoding: .utf8))
        entries = (fixture["ws"]?.elements ?? []).map { entry in
            Entry(
                direction: entry["dir"]?.string, raw: entry["raw"]?.string, json: entry["json"],
                note: entry["note"]?.string)
        }
    }

    /// The frames the client sent.
    var sent: [String] { entries.filter { $0.direction == "send" }.compactMap(\.raw) }

    /// The master's answers to commands (those with a `code`), in order.
    var answers: [String] {
        entries.filter { $0.direction == "recv" && $0.json?["code"] != nil }.compactMap(\.raw)
    }

    /// The events (`{"k": …, "m": …}`) received after the note that begins with `note`, in order.
    func events(after note: String) -> [(key: String, payload: JSONValue)] {
        guard let start = entries.firstIndex(where: { $0.note?.hasPrefix(note) == true }) else { return [] }
        return entries[start...].compactMap { entry in
            guard entry.direction == "recv", let key = entry.json?["k"]?.string, let payload = entry.json?["m"] else {
                return nil
            }
            return (key, payload)
        }
    }

    /// Every path the client consumed at some point, each once, in the order first asked for.
    var consumedPaths: [String] {
        var paths: [String] = []
        for frame in sent {
            guard let json = try? JSONValue(json: frame), json["cmd"]?.string == "startConsuming",
                let path = json["path"]?.string, !paths.contains(path)
            else { continue }
            paths.append(path)
        }
        return paths
    }
}
