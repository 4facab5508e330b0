import GantryTesting
import Testing

@testable import GantryWire

@Suite("Joining fragmented messages", .paced)
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

    @Test("a whole message ends the one being joined; a continuation after it has nothing to continue")
    func wholeMessageInterrupts() throws {
        var assembler = MessageAssembler(maxMessageSize: 8)
        #expect(try assembler.add([1], continuation: false, fin: false) == nil)
        #expect(try assembler.add([2], continuation: false, fin: true) == [2])
        #expect(throws: MessageAssembler.Violation.continuationWithoutStart) {
            try assembler.add([3], continuation: true, fin: true)
        }
    }

    /// Appending in place is what keeps joining linear: were every fragment copied into a new buffer, the
    /// buffer would move on every one, not only the few times it grows.
    @Test("a message in 20,000 fragments joins whole, in one buffer that moves only when it grows")
    func manyFragments() throws {
        let fragments = 20_000
        let size = 50
        let message = (0..<fragments * size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        var assembler = MessageAssembler(maxMessageSize: message.count)
        var moves = 0
        var address: Int?
        var joined: [UInt8]?
        for index in 0..<fragments {
            let fragment = message[(index * size)..<((index + 1) * size)]
            joined = try assembler.add(fragment, continuation: index > 0, fin: index == fragments - 1)
            guard joined == nil else { break }
            let current = assembler.storageAddress
            if let address, address != current { moves += 1 }
            address = current
        }
        #expect(joined == message)
        #expect(moves <= 64, "the buffer moved \(moves) times for \(fragments) fragments")
    }

    @Test("fragments adding up to more than the limit are refused at the fragment that crosses it")
    func fragmentsOverTheLimit() throws {
        var assembler = MessageAssembler(maxMessageSize: 1000)
        for index in 0..<10 {
            #expect(try assembler.add(Array(repeating: 1, count: 100), continuation: index > 0, fin: false) == nil)
        }
        #expect(throws: MessageAssembler.Violation.tooLarge(limit: 1000)) {
            try assembler.add([1], continuation: true, fin: true)
        }
    }
}
