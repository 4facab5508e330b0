import Foundation
import GantryTesting
import Testing

@testable import GantryReporters

@Suite("Mail messages as RFC 5322 writes them, and as SMTP's DATA carries them", .paced)
struct MailMessageTests {
    @Test("a plain subject is written as it is; any other as UTF-8 encoded words that decode to it")
    func subjects() throws {
        #expect(MailEncoding.header("Subject", "Build failed on linux #12") == "Subject: Build failed on linux #12")
        let subject = "[CI – nightly] Build failed on línux, a builder with a name long enough to be folded #12"
        let header = MailEncoding.header("Subject", subject)
        let lines = header.components(separatedBy: "\r\n")
        #expect(lines.count > 1)
        var decoded = ""
        for (index, line) in lines.enumerated() {
            let word = try #require(line.split(separator: " ").last)
            #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?="))
            #expect(word.count <= 75)
            #expect(line.hasPrefix(index == 0 ? "Subject: " : " "))
            let base64 = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
            decoded += String(decoding: try #require(Data(base64Encoded: String(base64))), as: UTF8.self)
        }
        #expect(decoded == subject)
    }

    @Test("a line break in a header value becomes a space, so it cannot add a header")
    func headerInjection() {
        #expect(MailEncoding.header("Subject", "fix\r\nBcc: all@example.com") == "Subject: fix Bcc: all@example.com")
    }

    @Test("the text in quoted-printable: lines of at most 76 printable characters that decode to it")
    func quotedPrintable() {
        let text =
            "é = e with an accent\n" + String(repeating: "long ", count: 40) + "\ntrailing space \n\ttab\t\nlast"
        let encoded = MailEncoding.quotedPrintable(text)
        let lines = encoded.components(separatedBy: "\r\n")
        #expect(
            lines.allSatisfy {
                $0.count <= 76 && $0.unicodeScalars.allSatisfy { (0x20...0x7E).contains($0.value) || $0 == "\t" }
            })
        #expect(lines.allSatisfy { !$0.hasSuffix(" ") && !$0.hasSuffix("\t") })
        #expect(Self.decodeQuotedPrintable(encoded) == text)
        #expect(lines.first == "=C3=A9 =3D e with an accent")
    }

    @Test("dates are RFC 5322's, in UTC")
    func dates() {
        #expect(MailEncoding.date(Date(timeIntervalSince1970: 0)) == "Thu, 01 Jan 1970 00:00:00 +0000")
        #expect(MailEncoding.date(Date(timeIntervalSince1970: 1_800_000_000)) == "Fri, 15 Jan 2027 08:00:00 +0000")
    }

    @Test("the message: its headers, a message id made of the delivery and the sender's domain, CRLF throughout")
    func rendered() {
        let message = MailMessage(
            from: "ci@example.com", to: ["ops@example.com", "dev@example.com"], subject: "Build failed on linux #12",
            text: "line one\nline two\n", date: Date(timeIntervalSince1970: 1_800_000_000), deliveryID: 41)
        #expect(
            message.rendered
                == [
                    "From: ci@example.com",
                    "To: ops@example.com,",
                    " dev@example.com",
                    "Subject: Build failed on linux #12",
                    "Date: Fri, 15 Jan 2027 08:00:00 +0000",
                    "Message-ID: <gantry-delivery-41@example.com>",
                    "MIME-Version: 1.0",
                    "Content-Type: text/plain; charset=utf-8",
                    "Content-Transfer-Encoding: quoted-printable",
                    "Auto-Submitted: auto-generated",
                    "",
                    "line one",
                    "line two",
                    "",
                ].joined(separator: "\r\n"))
    }

    @Test("DATA doubles the dot that starts a line, so no line of the mail ends it early")
    func dotStuffing() {
        #expect(
            SMTPConnection.dotStuffed(".first\r\nmiddle\r\n.\r\n..two\r\n") == "..first\r\nmiddle\r\n..\r\n...two\r\n")
        #expect(SMTPConnection.dotStuffed("no line end") == "no line end\r\n")
    }

    @Test("whatever the subject and text hold, DATA has no bare CR or LF, no added header, and one lone dot: its end")
    func dataCannotBeSplit() {
        let message = MailMessage(
            from: "ci@example.com", to: ["ops@example.com"], subject: "a\r\n.\r\nMAIL FROM:<x@evil.example>\rb\nc",
            text: ".\n.\r\n\r.\r\nRCPT TO:<x@evil.example>\n\r\n.\nend\r", date: Date(timeIntervalSince1970: 0),
            deliveryID: 1)
        let data = Array((SMTPConnection.dotStuffed(message.rendered) + ".\r\n").utf8)
        let cr = UInt8(ascii: "\r")
        let lf = UInt8(ascii: "\n")
        for index in data.indices {
            if data[index] == cr { #expect(index + 1 < data.count && data[index + 1] == lf, "bare CR at \(index)") }
            if data[index] == lf { #expect(index > 0 && data[index - 1] == cr, "bare LF at \(index)") }
        }
        let lines = String(decoding: data, as: UTF8.self).components(separatedBy: "\r\n")
        #expect(lines.firstIndex(of: ".") == lines.count - 2)
        let headers = lines.prefix { !$0.isEmpty }
        #expect(headers.count == 9)
        #expect(headers.contains("Subject: a . MAIL FROM:<x@evil.example> b c"))
    }

    /// Quoted-printable decoded, as a mail reader does: soft line breaks removed, `=XX` turned into its byte.
    private static func decodeQuotedPrintable(_ encoded: String) -> String {
        let joined = Array(
            encoded.replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "\r\n", with: "\n").utf8)
        var bytes: [UInt8] = []
        var index = 0
        while index < joined.count {
            if joined[index] == UInt8(ascii: "="), index + 2 < joined.count,
                let value = UInt8(String(decoding: joined[index + 1...index + 2], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                index += 3
            } else {
                bytes.append(joined[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
