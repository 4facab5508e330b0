import Foundation
import GantryModel
import SQLKit

/// Whole lines about to be stored as one `logchunks` row: their text (the lines joined by `\n`, the last one's
/// newline dropped, as Buildbot stores them) encoded by ``LogChunkCodec``.
struct EncodedLogChunk: Sendable {
    /// How many lines the chunk holds.
    let lineCount: Int
    let content: Data
    let codec: LogChunkCodec

    /// The most text one chunk holds (64 KiB, Buildbot's `MAX_CHUNK_SIZE`), unless a single line is longer: reading
    /// a few lines decodes no more than a chunk, and zlib gains little from larger ones.
    static let largestText = 64 << 10

    /// Encodes `text`, which holds `lineCount` lines.
    init(text: Data, lineCount: Int) {
        self.lineCount = lineCount
        let encoded = LogChunkCodec.encode(text)
        content = encoded.content
        codec = encoded.codec
    }

    /// `text` (whole lines joined by `\n`, the last newline dropped) cut at line ends into chunks of at most `limit`
    /// bytes of text each, a longer line making a chunk of its own, each encoded.
    static func cutting(_ text: Data, limit: Int = largestText) -> [EncodedLogChunk] {
        var chunks: [EncodedLogChunk] = []
        var start = text.startIndex
        var lineStart = text.startIndex
        var lines = 0
        while true {
            let lineEnd = text[lineStart...].firstIndex(of: newline) ?? text.endIndex
            // The chunk so far ends at the newline before this line, which the cut drops.
            if lines > 0, lineEnd - start > limit {
                chunks.append(EncodedLogChunk(text: Data(text[start..<(lineStart - 1)]), lineCount: lines))
                start = lineStart
                lines = 0
            }
            lines += 1
            guard lineEnd < text.endIndex else { break }
            lineStart = lineEnd + 1
        }
        chunks.append(EncodedLogChunk(text: Data(text[start...]), lineCount: lines))
        return chunks
    }

    /// `content`, whole lines each ending with a newline, cut and encoded as ``cutting(_:limit:)`` does.
    /// - Throws: `GantryError.invalidArgument` when `content` does not end with a newline.
    static func cutting(lines content: String) throws -> [EncodedLogChunk] {
        guard content.utf8.last == UInt8(ascii: "\n") else {
            throw GantryError(.invalidArgument, "log content must be whole lines ending with a newline")
        }
        return cutting(Data(content.utf8.dropLast()))
    }

    /// Inserts `chunks` as the lines of log `logid` from line `first` on, in order.
    /// - Returns: The number of the line after the last one inserted.
    static func insert(_ chunks: [EncodedLogChunk], logid: Int, from first: Int, in sql: any SQLDatabase)
        async throws -> Int
    {
        var line = first
        for chunk in chunks {
            let next = line.addingSaturated(chunk.lineCount)
            try await sql.insert(into: "logchunks")
                .columns("logid", "first_line", "last_line", "content", "compressed")
                .values(
                    SQLBind(logid), SQLBind(line), SQLBind(next - 1), SQLBind(chunk.content),
                    SQLBind(chunk.codec.rawValue)
                )
                .run()
            line = next
        }
        return line
    }

    private static let newline = UInt8(ascii: "\n")
}
