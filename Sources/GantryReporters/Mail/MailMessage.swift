import Foundation

/// One mail as RFC 5322 writes it: plain UTF-8 text with the headers a mail reader needs.
struct MailMessage: Sendable, Hashable {
    var from: String
    var to: [String]
    var subject: String
    var text: String
    var date: Date
    /// `<gantry-delivery-<id>@<the sender's domain>>`: the same at every attempt at one report, so a reader that
    /// drops repeated message ids shows a mail that did arrive twice once.
    var messageID: String

    /// - Parameter deliveryID: The outbox row the mail is sent for; it makes the message id.
    init(from: String, to: [String], subject: String, text: String, date: Date, deliveryID: Int) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.date = date
        let domain = from.split(separator: "@").last.map(String.init) ?? "localhost"
        messageID = "<gantry-delivery-\(deliveryID)@\(domain)>"
    }

    /// What follows SMTP's DATA, before dot-stuffing: the headers, a blank line and the quoted-printable text;
    /// lines end in CRLF and none is longer than 998 octets.
    var rendered: String {
        let headers = [
            "From: \(from)",
            "To: " + to.joined(separator: ",\r\n "),
            MailEncoding.header("Subject", subject),
            "Date: \(MailEncoding.date(date))",
            "Message-ID: \(messageID)",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            // RFC 3834: vacation responders and the like do not answer it.
            "Auto-Submitted: auto-generated",
        ]
        let body = MailEncoding.quotedPrintable(text)
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + body + (body.hasSuffix("\r\n") ? "" : "\r\n")
    }
}
