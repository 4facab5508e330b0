import GantryTesting
import NIOCore
import Testing

@testable import GantryReporters

@Suite("SMTP replies from the server's bytes", .paced)
struct SMTPReplyDecoderTests {
    /// Every whole reply in `chunks`, fed one after the other as reads arrive.
    private func replies(_ chunks: [String]) throws -> [SMTPReply] {
        var decoder = SMTPReplyDecoder()
        var buffer = ByteBuffer()
        var replies: [SMTPReply] = []
        for chunk in chunks {
            buffer.writeString(chunk)
            while let reply = try decoder.next(from: &buffer) { replies.append(reply) }
        }
        return replies
    }

    @Test("a multi-line reply is one reply, however the lines arrive; a bare LF ends a line too")
    func multiLine() throws {
        let ehlo = SMTPReply(code: 250, lines: ["fake-smtp.test", "SIZE 33554432", "STARTTLS", "AUTH PLAIN LOGIN"])
        #expect(
            try replies(["250-fake-smtp.test\r\n250-SIZE 33554432\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n"]) == [
                ehlo
            ])
        #expect(
            try replies(["250-fake-smtp.te", "st\r\n250-SIZE 33554432\r", "\n250-STARTTLS\n250 AUTH PLAIN LOGIN\r\n"])
                == [ehlo])
    }

    @Test("replies that arrive together are read one by one; a line of the code alone is a reply")
    func several() throws {
        #expect(
            try replies(["220 ready\r\n250\r\n354 go ahead\r\n"]) == [
                SMTPReply(code: 220, lines: ["ready"]), SMTPReply(code: 250, lines: [""]),
                SMTPReply(code: 354, lines: ["go ahead"]),
            ])
    }

    @Test("a reply is not whole until its last line is")
    func partial() throws {
        #expect(try replies(["250-first\r\n250 sec"]).isEmpty)
    }

    @Test("a line that is not a reply line, or whose code differs from the reply's, is refused")
    func malformed() {
        for bytes in ["hello there\r\n", "25 short\r\n", "250x\r\n", "099 low\r\n", "250-one\r\n251 two\r\n"] {
            #expect(throws: SMTPFailure.malformedReply, "\(bytes)") { try replies([bytes]) }
        }
    }

    @Test("a reply longer than the limit is refused, ended or not")
    func tooLong() {
        let line = "250-" + String(repeating: "x", count: 1000) + "\r\n"
        let lines = (SMTPReplyDecoder.maxReplyBytes / line.utf8.count) + 1
        #expect(throws: SMTPFailure.malformedReply) { try replies([String(repeating: line, count: lines)]) }
        #expect(throws: SMTPFailure.malformedReply) {
            try replies(["220 " + String(repeating: "x", count: SMTPReplyDecoder.maxReplyBytes)])
        }
    }

    @Test("the extensions of an EHLO reply, AUTH's old `AUTH=` spelling included")
    func extensions() {
        let reply = SMTPReply(code: 250, lines: ["fake-smtp.test", "SIZE 33554432", "starttls", "AUTH=LOGIN"])
        #expect(reply.extensions == ["SIZE": ["33554432"], "STARTTLS": [], "AUTH": ["LOGIN"]])
    }

    @Test("a reply's summary is its code and text on one line")
    func summary() {
        #expect(
            SMTPReply(code: 535, lines: ["5.7.8 Authentication", "credentials invalid"]).summary
                == "535 5.7.8 Authentication credentials invalid")
        #expect(SMTPReply(code: 250, lines: [""]).summary == "250")
    }
}
