import Foundation

/// One reply of an SMTP server (RFC 5321 §4.2): a three-digit code and the text of each of its lines.
struct SMTPReply: Sendable, Hashable {
    var code: Int
    /// The text after the code on each line; a multi-line reply (`250-…` then `250 …`) has several.
    var lines: [String]

    /// `<code> <text>` on one line, at most 200 characters, for the log and the reporter page: what the server
    /// said, never what was sent.
    var summary: String {
        let text = lines.joined(separator: " ").trimmingCharacters(in: .whitespaces)
        return String((text.isEmpty ? "\(code)" : "\(code) \(text)").prefix(200))
    }

    /// The extensions an EHLO reply announces (its lines after the first), keyword upper-cased, each with its
    /// parameters; the old `AUTH=LOGIN` spelling counts as `AUTH LOGIN`.
    var extensions: [String: [String]] {
        var found: [String: [String]] = [:]
        for line in lines.dropFirst() {
            var words = line.split(separator: " ").map { $0.uppercased() }
            guard !words.isEmpty else { continue }
            if let equals = words[0].firstIndex(of: "=") {
                let parameter = String(words[0][words[0].index(after: equals)...])
                words[0] = String(words[0][..<equals])
                if !parameter.isEmpty { words.insert(parameter, at: 1) }
            }
            found[words[0], default: []].append(contentsOf: words.dropFirst())
        }
        return found
    }

    /// One line of a reply: its code, whether more lines follow (`250-`), and its text; nil when the line is
    /// not a reply line.
    static func parse(line: Substring) -> (code: Int, continues: Bool, text: String)? {
        let digits = line.prefix(3)
        guard digits.count == 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let code = Int(digits),
            (200...599).contains(code)
        else { return nil }
        let rest = line.dropFirst(3)
        switch rest.first {
        case nil: return (code, false, "")
        case " ": return (code, false, String(rest.dropFirst()))
        case "-": return (code, true, String(rest.dropFirst()))
        default: return nil
        }
    }
}
