import GantryModel
import Testing

@Suite("Identifier")
struct IdentifierTests {
    @Test(
        "valid identifiers",
        arguments: [
            "a", "Z", "_", "-", "a1", "w-1_2", "é", "\u{00A0}x", "日本語", "𝔘nicode", String(repeating: "x", count: 50),
        ]
    )
    func valid(_ name: String) {
        #expect(Identifier.isValid(name))
    }

    @Test(
        "invalid identifiers",
        arguments: [
            "", "1a", "a b", "a.b", "a:b", "a/b", "a\u{7F}", "a\u{9F}", "a\nb", String(repeating: "x", count: 51),
        ]
    )
    func invalid(_ name: String) {
        #expect(!Identifier.isValid(name))
    }

    @Test("length counts characters, not bytes: 50 two-byte characters are valid")
    func unicodeLength() {
        #expect(Identifier.isValid(String(repeating: "é", count: 50)))
        #expect(!Identifier.isValid(String(repeating: "é", count: 51)))
    }

    @Test("validate throws invalidName with the rule")
    func validate() {
        let error = #expect(throws: GantryError.self) { try Identifier.validate("9lives", as: "worker name") }
        #expect(error?.code == .invalidName)
        #expect(error?.description == "invalid worker name \"9lives\": \(Identifier.rule)")
    }
}
