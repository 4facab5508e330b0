import GantryModel

/// Which chunks of a log to merge. Lines arrive in small appends while a build runs, and small chunks compress
/// badly; once the log is finished its chunks are merged in runs of consecutive chunks whose stored bytes together
/// stay within ``runBytes``, each run rewritten as chunks of up to ``mergedText`` of text. A plan covers a batch of
/// chunks read by size alone, and a merge stops at ``largestRunText`` of text, so a log of any length is planned and
/// merged in bounded memory.
enum LogCompaction {
    /// A stored chunk as the plan sees it.
    struct Chunk: Sendable, Equatable {
        var lines: ClosedRange<Int>
        /// Its stored bytes.
        var size: Int
        var compressed: Bool
    }

    /// How many chunks one plan looks at.
    static let batch = 1000
    /// The stored bytes of the chunks one run merges.
    static let runBytes = 128 << 10
    /// The most text a merged chunk holds, unless one line is longer. Measured on 200,000 lines of build output in
    /// SQLite: 9.9 bytes per line with 64 KiB chunks (each chunk's compressed 7 KiB straddles pages), 8.2 with
    /// 256 KiB; reading a few lines of a finished log decodes one such chunk, well under a millisecond.
    static let mergedText = 256 << 10
    /// The text one merge decodes at most (16 MiB): a run of chunks that compressed very well (a progress bar's
    /// repeated lines) is merged in several transactions rather than decoded whole.
    static let largestRunText = 16 << 20

    /// The runs of lines to merge among `chunks` (consecutive chunks of a log, in line order), and the first line of
    /// the chunks still to plan, nil when `chunks` were the last (`more` is false).
    ///
    /// When there are more, the last run is left to the next plan, which may grow it; a run is merged only when it
    /// joins several chunks or holds one uncompressed chunk worth compressing.
    static func plan(_ chunks: [Chunk], more: Bool) -> (runs: [ClosedRange<Int>], next: Int?) {
        var groups: [(lines: ClosedRange<Int>, size: Int, count: Int, compressed: Bool)] = []
        for chunk in chunks {
            // Joined, two chunks gain the newline between them.
            if let last = groups.last, chunk.lines.lowerBound == last.lines.upperBound.addingSaturated(1),
                last.size.addingSaturated(chunk.size) < runBytes
            {
                groups[groups.count - 1] = (
                    lines: last.lines.lowerBound...chunk.lines.upperBound, size: last.size + 1 + chunk.size,
                    count: last.count + 1, compressed: last.compressed && chunk.compressed
                )
            } else {
                groups.append((lines: chunk.lines, size: chunk.size, count: 1, compressed: chunk.compressed))
            }
        }
        var next: Int?
        if more, let last = groups.last {
            if groups.count > 1 {
                groups.removeLast()
                next = last.lines.lowerBound
            } else {
                next = last.lines.upperBound.addingSaturated(1)
            }
        }
        let runs = groups.filter { $0.count > 1 || (!$0.compressed && $0.size >= LogChunkCodec.smallestCompressed) }
        return (runs.map(\.lines), next)
    }
}
