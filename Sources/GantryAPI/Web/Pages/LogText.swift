/// A log line's text as a page shows it without scripts: what a terminal would leave of it.
enum LogText {
    /// `line` without its SGR escapes (`ESC [ … m`, the colours) and folded at carriage returns: a progress line
    /// rewritten in place shows its last state (a trailing `\r`, before `\n`, rewrites nothing).
    static func plain(_ line: Substring) -> String {
        let folded = line.split(separator: "\r", omittingEmptySubsequences: true).last.map { String($0) } ?? ""
        var text = String.UnicodeScalarView()
        var scalars = folded.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            guard scalar == "\u{1B}" else {
                text.append(scalar)
                continue
            }
            // An escape: an SGR sequence is dropped whole; any other ends at its first letter and is kept.
            var sequence = String.UnicodeScalarView([scalar])
            while let next = scalars.next() {
                sequence.append(next)
                if next.properties.isAlphabetic || sequence.count > 64 { break }
            }
            let isSGR =
                sequence.count >= 3 && sequence.dropFirst().first == "[" && sequence.last == "m"
                && sequence.dropFirst(2).dropLast().allSatisfy { ("0"..."9").contains($0) || $0 == ";" }
            if !isSGR { text.append(contentsOf: sequence) }
        }
        return String(text)
    }
}
