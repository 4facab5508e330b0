import Foundation
import GantryModel
import Testing

@Suite("Server-Sent Events: writing and reading")
struct ServerSentEventTests {
    private let events = [
        ServerSentEvent(id: "7", event: "builds/1/new", data: #"{"buildid":1}"#),
        ServerSentEvent(id: "8", data: "two\nlines"),
        ServerSentEvent(id: "9", event: "empty", data: ""),
    ]

    /// Reads `bytes` cut in two at `cut`.
    private func read(_ bytes: [UInt8], cutAt cut: Int, into parser: inout ServerSentEventParser) throws
        -> [ServerSentEvent]
    {
        let head = try parser.parse(bytes[..<cut])
        let tail = try parser.parse(bytes[cut...])
        return head + tail
    }

    @Test("events round-trip wherever the bytes are cut")
    func roundTrip() throws {
        let text =
            ServerSentEvent.control(retry: 2000, id: "6") + events.map(\.text).joined()
            + ServerSentEvent.control(comment: "ping")
        let bytes = Array(text.utf8)
        for cut in 0...bytes.count {
            var parser = ServerSentEventParser()
            #expect(try read(bytes, cutAt: cut, into: &parser) == events)
            #expect(parser.lastEventID == "9" && parser.retry == 2000)
        }
    }

    @Test("lines may end in CR LF or CR alone, even with the CR LF cut in two")
    func lineEndings() throws {
        for ending in ["\r\n", "\r"] {
            let bytes = Array(events.map(\.text).joined().replacingOccurrences(of: "\n", with: ending).utf8)
            for cut in 0...bytes.count {
                var parser = ServerSentEventParser()
                #expect(try read(bytes, cutAt: cut, into: &parser) == events, "\(cut)")
            }
        }
    }

    @Test("fields as the standard reads them: comments, unknown fields, no space, no colon, a byte-order mark")
    func fields() throws {
        var parser = ServerSentEventParser()
        let text = "\u{FEFF}: hello\nfoo: bar\ndata:a\ndata:  b\ndata\nevent:x\n\n"
        #expect(try parser.parse(Array(text.utf8)) == [ServerSentEvent(event: "x", data: "a\n b\n")])
    }

    @Test("an id without data moves the last event id and dispatches nothing; a NUL in an id is ignored")
    func idOnly() throws {
        var parser = ServerSentEventParser(lastEventID: "3")
        #expect(parser.lastEventID == "3")
        #expect(try parser.parse(Array(ServerSentEvent.control(comment: "ping", id: "12").utf8)).isEmpty)
        #expect(parser.lastEventID == "12")
        #expect(try parser.parse(Array("id: 1\u{0}3\ndata: x\n\n".utf8)) == [ServerSentEvent(id: "12", data: "x")])
        #expect(try parser.parse(Array("event: y\n\n".utf8)).isEmpty)
        #expect(try parser.parse(Array("data: z\n\n".utf8)) == [ServerSentEvent(id: "12", data: "z")])
    }

    @Test("a retry that is not all digits, or too large, leaves the delay as it was")
    func retry() throws {
        var parser = ServerSentEventParser()
        _ = try parser.parse(Array("retry: 1500\n\nretry: 12a\n\nretry: -1\n\nretry: 99999999999999999999999\n\n".utf8))
        #expect(parser.retry == 1500)
    }

    @Test("line breaks cannot leave the field they are written in")
    func writing() throws {
        let event = ServerSentEvent(id: "1\n2", event: "a\r\nb", data: "x\r\ny\rz")
        #expect(event.text == "id: 12\nevent: ab\ndata: x\ndata: y\ndata: z\n\n")
        #expect(ServerSentEvent.control(comment: "ping") == ": ping\n\n")
        var parser = ServerSentEventParser()
        #expect(try parser.parse(Array(event.text.utf8)) == [ServerSentEvent(id: "12", event: "ab", data: "x\ny\nz")])
    }

    @Test("a line that never ends is refused at the bound")
    func boundedLine() {
        var parser = ServerSentEventParser()
        let long = [UInt8](repeating: UInt8(ascii: "a"), count: ServerSentEventParser.maxLineBytes + 1)
        #expect(throws: GantryError.self) { try parser.parse(long) }
    }
}
