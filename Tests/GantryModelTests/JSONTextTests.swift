import Foundation
import GantryModel
import Testing

@Suite("JSON text: the encoder's text, written by hand")
struct JSONTextTests {
    /// What `JSONEncoder` writes for `value` with the options `jsonText` matches.
    private func encoded(_ value: JSONValue) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test(
        "the same text as JSONEncoder with sorted keys and unescaped slashes",
        arguments: [
            JSONValue.null, true, false, 0, 1, -17, 12_345_678, "", "plain", "a/b \"quoted\" back\\slash",
            "\n\r\t\u{08}\u{0C}\u{00}\u{01}\u{1F}\u{7F}", "é 😀 \u{2028}",
            [1, "two", [3], ["k": nil]],
            ["b": 1, "a": 2, "B": 3, "a10": 4, "a2": 5, "é": 6, "Z": 7, "_x": 8, "ab": 9, "a_b": 10, "": 11],
            ["nested": ["deeper": ["list": [true, false, nil, .number(1.25), "x"]]]], [], [:],
        ] as [JSONValue]
            + [-0.0, 0.1, 2.5, 1e20, 1e21, 1.5e-7, 9_007_199_254_740_993.0, 1e300, 5e-324, 1_000_000_000_000_000.5].map(
                JSONValue.number))
    func sameAsEncoder(_ value: JSONValue) throws {
        #expect(value.jsonText == (try encoded(value)))
        #expect(try JSONValue(json: value.jsonText) == value, "it reads back as the same value")
    }

    @Test("a number JSON cannot hold is written null, alone")
    func nonFinite() {
        let value: JSONValue = ["a": .number(.nan), "b": .number(.infinity), "c": 1]
        #expect(value.jsonText == #"{"a":null,"b":null,"c":1}"#)
    }
}
