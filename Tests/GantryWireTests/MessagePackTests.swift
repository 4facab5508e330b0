import GantryWire
import Testing

@Suite("MessagePack codec")
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
            let canonical = value.encoded()
            #expect(try decoder.decode(canonical).encoded() == canonical)
        }
        #expect(decoded > 1000, "the mutations should leave many messages decodable")
    }
}

/// A small deterministic generator, so a failing input is reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
