import CompressNIO
import Foundation
import NIOCore

/// How a log chunk's content is stored: the codes of `logchunks.compressed`, Buildbot's own, so a chunk means the
/// same to both. Gantry writes zlib (Buildbot's `gz`) and reads both codes; Buildbot's bz2, lz4, zstd and brotli
/// (2 to 5) are refused with a clear error.
///
/// zlib at level 6 was chosen by measurement on compiler and test output (75 bytes a line): 256 KiB chunks store
/// 7.8 bytes a line at level 6 against 6.9 at level 9, which compresses at half the speed (64 KiB chunks: 8.3 against
/// 7.5); the gzip format only adds 12 bytes of framing to the same stream.
enum LogChunkCodec: Int, Sendable {
    /// The text as it is.
    case raw = 0
    /// The text as one zlib stream.
    case zlib = 1

    /// Texts shorter than this are stored as they are: zlib's 6 bytes of framing eat what it could save.
    static let smallestCompressed = 128
    /// The most a chunk is allowed to decompress to (64 MiB): far above what Gantry writes in one chunk, so only a
    /// corrupt or hostile row meets it, and a reader refuses it instead of allocating without limit.
    static let largestDecoded = 64 << 20

    /// Why a stored chunk cannot be decoded.
    enum Failure: Error, Equatable, CustomStringConvertible {
        case unknownMethod(Int)
        case corrupt
        case tooLarge(limit: Int)

        var description: String {
            switch self {
            case .unknownMethod(let code): "it is compressed by method \(code), which Gantry does not read"
            case .corrupt: "its compressed content is corrupt"
            case .tooLarge(let limit): "it decompresses to more than \(limit) bytes"
            }
        }
    }

    /// `text` as stored: zlib-compressed when that makes it smaller, else as it is.
    static func encode(_ text: Data) -> (content: Data, codec: LogChunkCodec) {
        // A text zlib cannot compress (out of memory) is stored as it is: always readable, only larger.
        guard (smallestCompressed...largestDecoded).contains(text.count), let compressed = try? deflate(text),
            compressed.count < text.count
        else { return (text, .raw) }
        return (compressed, .zlib)
    }

    /// The text of `content` stored with method `code`.
    /// - Parameter limit: The most the text may take; more is refused as ``Failure/tooLarge(limit:)``.
    static func decode(_ content: Data, code: Int, limit: Int = largestDecoded) throws(Failure) -> Data {
        switch LogChunkCodec(rawValue: code) {
        case .raw: return content
        case .zlib: return try inflate(content, limit: limit)
        case nil: throw Failure.unknownMethod(code)
        }
    }

    private static func deflate(_ text: Data) throws -> Data {
        let deflater = try ZlibCompressor(
            algorithm: .zlib, configuration: ZlibConfiguration(compressionLevel: .compressionLevel6))
        var input = ByteBuffer(bytes: text)
        var output = ByteBufferAllocator().buffer(capacity: deflater.maxSize(from: input))
        try deflater.deflate(from: &input, to: &output, flush: .finish)
        return Data(output.readableBytesView)
    }

    /// Inflates into a buffer that grows by doubling up to `limit`, so a chunk costs what it holds and a bomb is
    /// refused at the limit.
    private static func inflate(_ content: Data, limit: Int) throws(Failure) -> Data {
        guard !content.isEmpty else { throw Failure.corrupt }
        do {
            let inflater = try ZlibDecompressor(algorithm: .zlib)
            var input = ByteBuffer(bytes: content)
            var output = ByteBufferAllocator().buffer(capacity: max(min(content.count, limit / 4), 1) * 4)
            while true {
                do {
                    try inflater.inflate(from: &input, to: &output)
                    break
                } catch let error as CompressNIOError where error == .bufferOverflow {
                    guard output.readableBytes < limit else { throw Failure.tooLarge(limit: limit) }
                    output.reserveCapacity(min(limit, output.capacity * 2))
                }
            }
            // The buffer may have grown past `limit` by rounding.
            guard output.readableBytes <= limit else { throw Failure.tooLarge(limit: limit) }
            // A stream cut short ends without an error too, once its input runs out; only a finished stream refuses
            // a byte more, so one more byte tells them apart.
            var probe = ByteBuffer(bytes: [0])
            output.reserveCapacity(output.writerIndex + 1)
            try inflater.inflate(from: &probe, to: &output)
            guard input.readableBytes == 0, probe.readableBytes == 1 else { throw Failure.corrupt }
            return Data(output.readableBytesView)
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure.corrupt
        }
    }
}
