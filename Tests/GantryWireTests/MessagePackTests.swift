import GantryTesting
import GantryWire
import Testing

@Suite("MessagePack codec", .paced)
struct MessagePackTests {
    let decoder = MessagePackDecoder()

    /// Values at every format boundary and the bytes msgpack-python writes for them.
    static let shortestForms: [(MessagePackValue, [UInt8])] = [
        (nil, [0xc0]), (false, [0xc2]), (true, [0xc3]),
        (0, [0x00]), (127, [0x7f]), (128, [0xcc, 0x80]), (255, [0xcc, 0xff]), (256, [0xcd, 0x01, 0x00]),
        (65535, [0xcd, 0xff, 0xff]), (65536, [0xce, 0x00, 0x01, 0x00, 0x00]),
        (.int(4_294_967_296), [0xcf, 0, 0, 0, 1, 0, 0, 0, 0]),
        (.uint(UInt64.max), [0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        (-1, [0xff]), (-32, [0xe0]), (-33, [0xd0, 0xdf]), (-128, [0xd0, 0x80]), (-129, [0xd1, 0xff, 0x7f]),
        (-32768, [0xd1, 0x80, 0x00]), (-32769, [0xd2, 0xff, 0xff, 0x7f, 0xff]),
        (.int(Int64(Int32.min) - 1), [0xd3, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff]),
        (0.1, [0xcb, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a]),
        (.float(1.5), [0xca, 0x3f, 0xc0, 0x00, 0x00]),
        ("", [0xa0]), ("op", [0xa2, 0x6f, 0x70]), ("é", [0xa2, 0xc3, 0xa9]),
        (.string(String(repeating: "a", count: 31)), [0xbf] + Array(repeating: 0x61, count: 31)),
        (.string(String(repeating: "a", count: 32)), [0xd9, 0x20] + Array(repeating: 0x61, count: 32)),
        (.string(String(repeating: "a", count: 256)), [0xda, 0x01, 0x00] + Array(repeating: 0x61, count: 256)),
        (
            .string(String(repeating: "a", count: 65536)),
            [0xdb, 0x00, 0x01, 0x00, 0x00] + Array(repeating: 0x61, count: 65536)
        ),
        (.binary([]), [0xc4, 0x00]), (.binary([1, 2]), [0xc4, 0x02, 1, 2]),
        (.binary(Array(repeating: 7, count: 256)), [0xc5, 0x01, 0x00] + Array(repeating: 7, count: 256)),
        (.binary(Array(repeating: 7, count: 65536)), [0xc6, 0, 1, 0, 0] + Array(repeating: 7, count: 65536)),
        ([], [0x90]), ([1, "a"], [0x92, 0x01, 0xa1, 0x61]),
        (.array(Array(repeating: nil, count: 15)), [0x9f] + Array(repeating: 0xc0, count: 15)),
        (.array(Array(repeating: nil, count: 16)), [0xdc, 0x00, 0x10] + Array(repeating: 0xc0, count: 16)),
        (.array(Array(repeating: nil, count: 65536)), [0xdd, 0, 1, 0, 0] + Array(repeating: 0xc0, count: 65536)),
        ([:], [0x80]), (["b": 1, "a": 2], [0x82, 0xa1, 0x62, 0x01, 0xa1, 0x61, 0x02]),
        (
            .map((0..<16).map { .init(.int(Int64($0)), nil) }),
            [0xde, 0x00, 0x10] + (0..<16).flatMap { [UInt8($0), 0xc0] }
        ),
    ]

    @Test("every format in its shortest form, and back", arguments: 0..<shortestForms.count)
    func shortestForm(_ index: Int) throws {
        let (value, bytes) = Self.shortestForms[index]
        #expect(value.encoded() == bytes)
        #expect(try decoder.decode(bytes) == value)
    }

    @Test("other integer forms decode to the same value and re-encode in the shortest form")
    func longerIntegers() throws {
        #expect(try decoder.decode([0xd0, 0x05]) == 5)
        #expect(try decoder.decode([0xcd, 0x00, 0x01]) == 1)
        #expect(try decoder.decode([0xd3, 0, 0, 0, 0, 0, 0, 0, 0x80]) == 128)
        #expect(MessagePackValue.int(128).encoded() == [0xcc, 0x80])
    }

    @Test("every binary message of every captured session decodes and re-encodes byte for byte")
    func transcripts() throws {
        let scenarios = try TranscriptVectors.all()
        #expect(scenarios.count == 13)
        var checked = 0
        for (scenario, messages) in scenarios {
            for (index, message) in messages.enumerated() {
                let value = try decoder.decode(message.bytes)
                #expect(value.encoded() == message.bytes, "\(scenario) message \(index)")
                if scenario != "s09_synthetic_client" {  // which sends malformed envelopes on purpose
                    #expect(value["op"]?.stringValue != nil && value["seq_number"]?.intValue != nil)
                }
                checked += 1
            }
        }
        #expect(checked == 595)
    }

    @Test("malformed input is an error naming the problem")
    func malformed() {
        let cases: [([UInt8], MessagePackError)] = [
            ([], .truncated),
            ([0xc1], .invalidFormat(0xc1)),
            ([0xc0, 0xc0], .trailingBytes(1)),
            ([0xa2, 0x61], .truncated),
            ([0xa2, 0xff, 0xfe], .invalidUTF8),
            ([0xd4, 0x01, 0x00], .unsupportedExtension(1)),
            ([0xc7, 0x02, 0xff, 0x00], .truncated),
            ([0xcd, 0x01], .truncated),
            // Lengths far beyond the input are refused before anything is reserved.
            ([0xdd, 0xff, 0xff, 0xff, 0xff], .truncated),
            ([0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0], .truncated),
            ([0xdb, 0xff, 0xff, 0xff, 0xff], .truncated),
            ([0xc6, 0xff, 0xff, 0xff, 0xff], .truncated),
            (Array(repeating: 0x91, count: 100_000) + [0xc0], .tooDeep(limit: 64)),
        ]
        for (bytes, expected) in cases {
            #expect(throws: expected) { try decoder.decode(bytes) }
        }
    }

    @Test("every proper prefix of a real message is refused as truncated")
    func prefixes() throws {
        for message in try #require(try TranscriptVectors.all()["s01_shell"]) {
            for length in 0..<message.bytes.count {
                #expect(throws: MessagePackError.truncated) { try decoder.decode(Array(message.bytes[..<length])) }
            }
        }
    }

    @Test("random and mutated input never crashes; what decodes re-encodes to a fixed point")
    func fuzz() throws {
        var random = SplitMix64(seed: 0x6761_6e74_7279)
        let seeds = try TranscriptVectors.all().values.flatMap { $0 }.map(\.bytes).filter { $0.count < 4096 }
        var inputs: [[UInt8]] = (0..<20_000).map { _ in
            (0..<Int(random.next() % 48)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        }
        for _ in 0..<20_000 {
            var bytes = seeds[Int(random.next() % UInt64(seeds.count))]
            for _ in 0...(random.next() % 4) {
                let position = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 3 {
                case 0: bytes[position] = UInt8(truncatingIfNeeded: random.next())
                case 1: bytes.removeSubrange(position...)
                default: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: position)
                }
                if bytes.isEmpty { break }
            }
            inputs.append(bytes)
        }
        var decoded = 0
        for input in inputs {
            guard let value = try? decoder.decode(input) else { continue }
            decoded += 1
            #expect(value.elementCount < input.count, "every element takes a byte of the input")
            let canonical = value.encoded()
            #expect(try decoder.decode(canonical).encoded() == canonical)
        }
        #expect(decoded > 1000, "the mutations should leave many messages decodable")
    }

    @Test("a 16 MB message of 16 million nils is refused at its header, before anything is decoded")
    func millionsOfNils() {
        let count = 16_000_000
        let bytes: [UInt8] = [0xdd] + (0..<4).map { UInt8(truncatingIfNeeded: count >> (24 - 8 * $0)) }
        let message = bytes + [UInt8](repeating: 0xc0, count: count)
        #expect(throws: MessagePackError.tooManyElements(limit: 1 << 20)) { try decoder.decode(message) }
        // A huge header with a short body is refused too, before anything is reserved.
        #expect(throws: MessagePackError.truncated) { try decoder.decode(bytes + [0xc0, 0xc0]) }
    }

    @Test("the element budget counts array elements, map keys and values, at every depth")
    func elementBudget() throws {
        let small = MessagePackDecoder(maxElements: 4)
        let fitting: [MessagePackValue] = [
            [1, 2, 3, 4], [[1], [2]], ["a": 1, "b": 2], [[], [], [], []], [[:]],
        ]
        for value in fitting {
            #expect(try small.decode(value.encoded()) == value)
        }
        let tooMany: [MessagePackValue] = [
            [1, 2, 3, 4, 5], [[1, 2], [3]], ["a": 1, "b": 2, "c": 3], [["a": nil], 1, 2],
        ]
        for value in tooMany {
            #expect(throws: MessagePackError.tooManyElements(limit: 4)) { try small.decode(value.encoded()) }
        }
        let exactly = MessagePackValue.array(Array(repeating: nil, count: 1 << 20))
        #expect(try decoder.decode(exactly.encoded()) == exactly)
        #expect(throws: MessagePackError.tooManyElements(limit: 1 << 20)) {
            try decoder.decode(MessagePackValue.array(Array(repeating: nil, count: (1 << 20) + 1)).encoded())
        }
    }

    /// Valid messages with array and map headers of random (often huge) counts written over them, and nests of
    /// one-element arrays: whatever decodes holds no more elements than the budget and the input allow.
    @Test("hostile container headers never trap, and what decodes stays within the element budget")
    func hostileHeaders() throws {
        var random = SplitMix64(seed: 0x6275_6467_6574)
        let small = MessagePackDecoder(maxElements: 256)
        let seeds = try TranscriptVectors.all().values.flatMap { $0 }.map(\.bytes).filter { $0.count < 4096 }
        var decoded = 0
        for iteration in 0..<5_000 {
            var bytes = seeds[Int(random.next() % UInt64(seeds.count))]
            if iteration % 5 == 0 {
                // One-element arrays nested to random depths, side by side in one array: a value per byte.
                let nests = Int(random.next() % 300)
                bytes = [0xdc, UInt8(nests >> 8), UInt8(nests & 0xff)]
                for _ in 0..<nests {
                    bytes += [UInt8](repeating: 0x91, count: Int(random.next() % 60)) + [0xc0]
                }
            } else {
                mutateHeaders(&bytes, &random)
            }
            for candidate in [decoder, small] {
                guard let value = try? candidate.decode(bytes) else { continue }
                decoded += 1
                #expect(value.elementCount < bytes.count)
                #expect(value.elementCount <= candidate.maxElements)
            }
        }
        #expect(decoded > 100, "some mutated messages should still decode")
    }

    /// Writes one to three array or map headers of random counts over `bytes` (or inserts them).
    private func mutateHeaders(_ bytes: inout [UInt8], _ random: inout SplitMix64) {
        let headers: [UInt8] = [0xdc, 0xdd, 0xde, 0xdf]
        for _ in 0...(random.next() % 3) {
            let position = Int(random.next() % UInt64(bytes.count))
            let count = random.next()
            switch random.next() % 3 {
            case 0:
                bytes[position] = 0x80 | 0x10 * UInt8(random.next() % 2) | UInt8(count % 16)
            case 1:
                let format = headers[Int(random.next() % 4)]
                let width = format == 0xdc || format == 0xde ? 2 : 4
                let length = (0..<width).map { UInt8(truncatingIfNeeded: count >> (8 * (width - 1 - $0))) }
                bytes.replaceSubrange(position..<min(position + 1 + width, bytes.count), with: [format] + length)
            default:
                bytes.insert(contentsOf: [0xdd, 0x00, UInt8(truncatingIfNeeded: count), 0xff, 0xff], at: position)
            }
        }
    }
}

extension MessagePackValue {
    /// Array elements, map keys and values, at every depth: what the decoder's budget counts.
    var elementCount: Int {
        switch self {
        case .array(let elements): elements.count + elements.reduce(0) { $0 + $1.elementCount }
        case .map(let entries):
            2 * entries.count + entries.reduce(0) { $0 + $1.key.elementCount + $1.value.elementCount }
        default: 0
        }
    }
}
