import GantryWire
import Testing

@Suite("Joining fragmented messages")
struct MessageAssemblerTests {
    @Test("a whole frame is a message; fragments join on the final one; violations are refused")
    func assemble() throws {
        var assembler = MessageAssembler(maxMessageSize: 8)
        #expect(try assembler.add([1, 2], continuation: false, fin: true) == [1, 2])
        #expect(try assembler.add([1], continuation: false, fin: false) == nil)
        #expect(try assembler.add([2, 3], continuation: true, fin: false) == nil)
        #expect(try assembler.add([4], continuation: true, fin: true) == [1, 2, 3, 4])
        #expect(throws: MessageAssembler.Violation.continuationWithoutStart) {
            try assembler.add([5], continuation: true, fin: true)
        }
        #expect(try assembler.add(Array(repeating: 0, count: 5), continuation: false, fin: false) == nil)
        #expect(throws: MessageAssembler.Violation.tooLarge(limit: 8)) {
            try assembler.add(Array(repeating: 0, count: 4), continuation: true, fin: true)
        }
    }
}
