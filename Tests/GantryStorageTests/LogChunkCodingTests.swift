import Foundation
import GantryTesting
import Testing

@testable import GantryStorage

@Suite("Log chunks: compression, cutting and the merge plan", .paced, .timeLimit(.minutes(3)))
struct LogChunkCodingTests {
    /// 500 lines of build output joined by `\n`, the last newline dropped, as a chunk stores them.
    let output = Data(LogFixture.buildOutput(500).joined(separator: "\n").utf8)

    @Test("build output is stored zlib-compressed in a fraction of its size and decodes byte for byte")
    func compressible() throws {
        let (content, codec) = LogChunkCodec.encode(output)
        #expect(codec == .zlib)
        #expect(content.count * 4 < output.count, "\(content.count) bytes for \(output.count)")
        #expect(try LogChunkCodec.decode(content, code: codec.rawValue) == output)
    }

    @Test("text that would not shrink, or is too short to, is stored as it is")
    func storedRaw() throws {
        var random = SplitMix64(seed: 7)
        let noise = Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &random) })
        let short = Data("ocompiling main.c".utf8)
        for text in [noise, short, Data()] {
            let (content, codec) = LogChunkCodec.encode(text)
            #expect(codec == .raw && content == text)
            #expect(try LogChunkCodec.decode(content, code: 0) == text)
        }
    }

    @Test("NUL bytes, carriage returns, empty lines and bytes that are not UTF-8 survive compression")
    func everyByte() throws {
        var text = Data()
        for index in 0..<200 {
            text.append(contentsOf: Array("oline \(index)\u{0}with a NUL\r".utf8) + [0xFF, 0xC3, 0x0A, 0x0A])
        }
        let (content, codec) = LogChunkCodec.encode(text)
        #expect(codec == .zlib)
        #expect(try LogChunkCodec.decode(content, code: codec.rawValue) == text)
    }

    @Test("a corrupt, cut-short, padded, oversized or unknown chunk is refused with its reason")
    func refused() {
        let content = LogChunkCodec.encode(output).content
        #expect(throws: LogChunkCodec.Failure.corrupt) {
            try LogChunkCodec.decode(Data("this is not zlib".utf8), code: 1)
        }
        #expect(throws: LogChunkCodec.Failure.corrupt) { try LogChunkCodec.decode(Data(), code: 1) }
        for cut in [1, 4, content.count / 2, content.count - 2] {
            #expect(throws: LogChunkCodec.Failure.corrupt, "cut by \(cut)") {
                try LogChunkCodec.decode(Data(content.dropLast(cut)), code: 1)
            }
        }
        #expect(throws: LogChunkCodec.Failure.corrupt) { try LogChunkCodec.decode(content + [0], code: 1) }
        var flipped = content
        flipped[flipped.count / 2] ^= 0x55
        #expect(throws: LogChunkCodec.Failure.corrupt) { try LogChunkCodec.decode(flipped, code: 1) }
        #expect(throws: LogChunkCodec.Failure.tooLarge(limit: 1000)) {
            try LogChunkCodec.decode(content, code: 1, limit: 1000)
        }
        #expect(throws: LogChunkCodec.Failure.unknownMethod(4)) { try LogChunkCodec.decode(content, code: 4) }
        #expect(LogChunkCodec.Failure.unknownMethod(4).description.contains("method 4"))
    }

    @Test("text is cut at line ends into chunks of at most the limit; a longer line is a chunk of its own")
    func cutting() throws {
        let text = Data("aaaa\nbbbb\ncccc\n\nddddddddddddd\ne".utf8)
        let chunks = EncodedLogChunk.cutting(text, limit: 10)
        let texts = chunks.map { String(decoding: $0.content, as: UTF8.self) }
        #expect(texts == ["aaaa\nbbbb", "cccc\n", "ddddddddddddd", "e"])
        #expect(chunks.map(\.lineCount) == [2, 2, 1, 1])
        #expect(chunks.allSatisfy { $0.codec == .raw })
        let empty = EncodedLogChunk.cutting(Data())
        #expect(empty.map(\.lineCount) == [1] && empty.first?.content.isEmpty == true)

        let large = EncodedLogChunk.cutting(output, limit: 4096)
        #expect(large.count > 1 && large.reduce(0) { $0 + $1.lineCount } == 500)
        let decoded = try large.map { try LogChunkCodec.decode($0.content, code: $0.codec.rawValue) }
        #expect(decoded.allSatisfy { $0.count <= 4096 })
        #expect(Data(decoded.joined(separator: Data("\n".utf8))) == output)
    }

    @Test("the plan merges consecutive chunks up to 128 KiB stored and leaves alone what would not gain")
    func plan() {
        func chunk(_ lines: ClosedRange<Int>, _ size: Int, compressed: Bool = false) -> LogCompaction.Chunk {
            LogCompaction.Chunk(lines: lines, size: size, compressed: compressed)
        }
        let small = (0..<10).map { chunk(($0 * 5)...($0 * 5 + 4), 1000, compressed: $0 % 2 == 0) }
        let merged = LogCompaction.plan(small, more: false)
        #expect(merged.runs == [0...49] && merged.next == nil)

        let large = [chunk(0...9, 80_000), chunk(10...19, 80_000), chunk(20...29, 40_000)]
        #expect(LogCompaction.plan(large, more: false).runs == [0...9, 10...29])

        let lone = [
            chunk(0...9, 80_000, compressed: true), chunk(10...19, 120_000), chunk(20...29, 120_000, compressed: true),
        ]
        #expect(LogCompaction.plan(lone, more: false).runs == [10...19], "a lone compressed chunk stays as it is")
        #expect(LogCompaction.plan([chunk(0...0, 100)], more: false).runs.isEmpty, "so does one too short to shrink")

        let gap = [chunk(0...4, 100), chunk(6...9, 100)]
        #expect(LogCompaction.plan(gap, more: false).runs.isEmpty, "lines that do not follow are never joined")

        let deferred = LogCompaction.plan(large, more: true)
        #expect(deferred.runs == [0...9] && deferred.next == 10, "the last run waits for the chunks after it")
        let one = LogCompaction.plan(small, more: true)
        #expect(one.runs == [0...49] && one.next == 50, "a batch that is one run is merged and passed")
        #expect(LogCompaction.plan([], more: false).runs.isEmpty && LogCompaction.plan([], more: false).next == nil)
    }
}
