import Foundation
import GantryModel

/// The lines of a finished log in one file outside the database: its chunks one after another, each stored as the
/// database stores one (zlib-compressed when that is smaller), then an index saying which lines each chunk holds and
/// where it lies, then a trailer locating the index. A reader seeks to the chunks it needs: a few lines of a 1 GB log
/// cost the index and one chunk, never the file.
///
/// Layout, integers as 8 bytes big-endian: ``magic``; the chunks; per chunk its first line, last line, offset and
/// length, and its codec as one byte; the index's offset and the number of chunks; ``trailer``.
struct LogArchive: Sendable {
    /// Where a chunk lies and what it holds.
    struct Entry: Sendable, Equatable {
        var lines: ClosedRange<Int>
        var offset: Int
        var length: Int
        var codec: Int
    }

    let path: String
    let entries: [Entry]

    static let magic = Data("GANTRYLOG1\n".utf8)
    static let trailer = Data("GANTRYEND\n".utf8)
    static let entrySize = 33
    /// The most chunks an archive indexes (64 MiB of index): far above what a log of 1 TB needs in 256 KiB
    /// chunks, so only a corrupt file meets it, and a reader refuses it instead of allocating without limit.
    static let largestIndex = (64 << 20) / entrySize

    /// Reads the index of the archive at `path`, which holds the lines of the log `place` names.
    /// - Throws: `GantryError.corruptState` when the file is missing, cut short or not an archive.
    init(path: String, of place: String) throws {
        self.path = path
        let unreadable = "the archive of \(place) at \(path) cannot be read"
        do {
            let file = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? file.close() }
            let size = Int(try file.seekToEnd())
            let tail = 16 + Self.trailer.count
            guard size >= Self.magic.count + tail else { throw Failure("it is too short") }
            try file.seek(toOffset: UInt64(size - tail))
            let trailer = try Self.read(file, tail)
            guard trailer.suffix(Self.trailer.count) == Self.trailer else { throw Failure("it is not finished") }
            let indexOffset = Self.integer(trailer, at: 0)
            let count = Self.integer(trailer, at: 8)
            guard (0...Self.largestIndex).contains(count), indexOffset >= Self.magic.count,
                indexOffset.addingSaturated(count * Self.entrySize) == size - tail
            else { throw Failure("its index is out of place") }
            try file.seek(toOffset: 0)
            guard try Self.read(file, Self.magic.count) == Self.magic else { throw Failure("it is not a log archive") }
            try file.seek(toOffset: UInt64(indexOffset))
            let index = try Self.read(file, count * Self.entrySize)
            var entries: [Entry] = []
            entries.reserveCapacity(count)
            var nextLine = 0
            var nextOffset = Self.magic.count
            for place in stride(from: 0, to: index.count, by: Self.entrySize) {
                let first = Self.integer(index, at: place)
                let last = Self.integer(index, at: place + 8)
                let offset = Self.integer(index, at: place + 16)
                let length = Self.integer(index, at: place + 24)
                // Chunks follow one another, line after line and byte after byte, before the index.
                guard first == nextLine, last >= first, offset == nextOffset, length >= 0,
                    offset.addingSaturated(length) <= indexOffset
                else { throw Failure("its index is inconsistent at chunk \(entries.count)") }
                entries.append(
                    Entry(
                        lines: first...last, offset: offset, length: length,
                        codec: Int(index[index.startIndex + place + 32])))
                nextLine = last.addingSaturated(1)
                nextOffset = offset + length
            }
            self.entries = entries
        } catch let failure as Failure {
            throw GantryError(.corruptState, "\(unreadable): \(failure.reason)")
        } catch {
            throw GantryError(.corruptState, "\(unreadable): \(error.localizedDescription)")
        }
    }

    /// Up to `limit` chunks (all when nil) in line order, from the one holding `line` to the one holding `last`.
    func chunks(from line: Int, through last: Int, limit: Int?, of place: String) throws -> [LogChunk] {
        // The first chunk that ends at or after `line`: chunks are in line order.
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].lines.upperBound < line { low = middle + 1 } else { high = middle }
        }
        let chosen = entries[low...].prefix { $0.lines.lowerBound <= last }.prefix(limit ?? .max)
        return try read(Array(chosen), of: place)
    }

    /// Up to `limit` chunks starting before `line`, the last first.
    func chunks(before line: Int, limit: Int, of place: String) throws -> [LogChunk] {
        try read(Array(entries.reversed().lazy.filter { $0.lines.lowerBound < line }.prefix(limit)), of: place)
    }

    private func read(_ chosen: [Entry], of place: String) throws -> [LogChunk] {
        guard !chosen.isEmpty else { return [] }
        let file: FileHandle
        do {
            file = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        } catch {
            throw GantryError(.corruptState, "the archive of \(place) at \(path) cannot be read: \(error)")
        }
        defer { try? file.close() }
        return try chosen.map { entry in
            let content: Data
            do {
                try file.seek(toOffset: UInt64(entry.offset))
                content = try Self.read(file, entry.length)
            } catch {
                throw GantryError(.corruptState, "the archive of \(place) at \(path) cannot be read: \(error)")
            }
            return try LogChunk(lines: entry.lines, content: content, code: entry.codec, of: place)
        }
    }

    /// Exactly `count` bytes from where `file` stands.
    private static func read(_ file: FileHandle, _ count: Int) throws -> Data {
        let data = try file.read(upToCount: count) ?? Data()
        guard data.count == count else { throw Failure("it is cut short") }
        return data
    }

    static func integer(_ data: Data, at place: Int) -> Int {
        var value: UInt64 = 0
        for byte in data[(data.startIndex + place)..<(data.startIndex + place + 8)] {
            value = value << 8 | UInt64(byte)
        }
        return Int(truncatingIfNeeded: value)
    }

    static func bytes(_ value: Int) -> Data {
        Data((0..<8).reversed().map { UInt8(truncatingIfNeeded: UInt64(bitPattern: Int64(value)) >> ($0 * 8)) })
    }

    private struct Failure: Error, CustomStringConvertible {
        let reason: String
        init(_ reason: String) { self.reason = reason }
        var description: String { reason }
    }
}

/// Writes a log's archive: chunks are added in line order, then ``finish()`` adds the index and the trailer, makes
/// the file durable and gives it its name. Until then it is `NAME.partial`, so a file without that suffix is always
/// whole.
final class LogArchiveWriter {
    let path: String
    private let file: FileHandle
    private var entries: [LogArchive.Entry] = []
    private var offset = LogArchive.magic.count
    private var nextLine = 0

    /// Creates `path.partial`, readable by the master's user and group only.
    init(path: String) throws {
        self.path = path
        guard
            FileManager.default.createFile(
                atPath: path + ".partial", contents: LogArchive.magic, attributes: [.posixPermissions: 0o640])
        else {
            throw GantryError(.invalidArgument, "a log archive cannot be created at \(path).partial")
        }
        file = try FileHandle(forWritingTo: URL(fileURLWithPath: path + ".partial"))
        try file.seekToEnd()
    }

    /// Adds the next lines, encoded.
    func append(_ chunk: EncodedLogChunk) throws {
        let lines = nextLine...nextLine.addingSaturated(chunk.lineCount - 1)
        try file.write(contentsOf: chunk.content)
        entries.append(
            LogArchive.Entry(lines: lines, offset: offset, length: chunk.content.count, codec: chunk.codec.rawValue))
        offset += chunk.content.count
        nextLine = lines.upperBound.addingSaturated(1)
    }

    /// The number of lines added so far.
    var lineCount: Int { nextLine }

    /// Writes the index and the trailer, flushes the file to disk and renames it to ``path``.
    func finish() throws {
        var index = Data(capacity: entries.count * LogArchive.entrySize + 16 + LogArchive.trailer.count)
        for entry in entries {
            index.append(LogArchive.bytes(entry.lines.lowerBound))
            index.append(LogArchive.bytes(entry.lines.upperBound))
            index.append(LogArchive.bytes(entry.offset))
            index.append(LogArchive.bytes(entry.length))
            index.append(UInt8(truncatingIfNeeded: entry.codec))
        }
        index.append(LogArchive.bytes(offset))
        index.append(LogArchive.bytes(entries.count))
        index.append(LogArchive.trailer)
        try file.write(contentsOf: index)
        try file.synchronize()
        try file.close()
        try FileManager.default.moveItem(atPath: path + ".partial", toPath: path)
    }

    /// Closes and removes the unfinished file.
    func discard() {
        try? file.close()
        try? FileManager.default.removeItem(atPath: path + ".partial")
    }
}
