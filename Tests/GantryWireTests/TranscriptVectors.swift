import Foundation

/// The binary messages of the captured Buildbot 4.3 master ⇄ buildbot-worker 4.3 sessions (`Vectors/*.msgs`,
/// made by `Vectors/extract.py`).
struct TranscriptVectors {
    enum Direction: UInt8 {
        case workerToMaster = 0
        case masterToWorker = 1
    }

    struct Message {
        var direction: Direction
        var bytes: [UInt8]
    }

    static let directory = URL(filePath: #filePath).deletingLastPathComponent().appending(path: "Vectors")

    /// Scenario name → its messages in capture order.
    static func all() throws -> [String: [Message]] {
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        var result: [String: [Message]] = [:]
        for file in files where file.pathExtension == "msgs" {
            result[file.deletingPathExtension().lastPathComponent] = try messages(in: Array(Data(contentsOf: file)))
        }
        return result
    }

    private static func messages(in data: [UInt8]) throws -> [Message] {
        var messages: [Message] = []
        var offset = 0
        while offset < data.count {
            guard offset + 5 <= data.count, let direction = Direction(rawValue: data[offset]) else {
                throw CocoaError(.fileReadCorruptFile)
            }
            let length = data[offset + 1..<offset + 5].reduce(0) { $0 << 8 | Int($1) }
            guard offset + 5 + length <= data.count else { throw CocoaError(.fileReadCorruptFile) }
            messages.append(Message(direction: direction, bytes: Array(data[offset + 5..<offset + 5 + length])))
            offset += 5 + length
        }
        return messages
    }
}
