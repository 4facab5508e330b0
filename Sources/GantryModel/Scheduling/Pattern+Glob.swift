/// Globs as Python's `fnmatch.translate` reads them, so patterns written for Buildbot keep their meaning.
extension Pattern {
    /// The regular expression for `glob`, to be compiled with `.dotMatchesLineSeparators`: `*` is any text,
    /// `?` any one character, `[...]` a set, an unclosed `[` and every other character (`\` too) literal.
    static func expression(forGlob glob: String) -> String {
        let scalars = Array(glob.unicodeScalars)
        var result = ""
        var index = 0
        var afterStar = false
        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            if scalar == "*" {
                if !afterStar { result += ".*" }
                afterStar = true
                continue
            }
            afterStar = false
            switch scalar {
            case "?":
                result += "."
            case "[":
                if let set = setExpression(in: scalars, after: index) {
                    result += set.expression
                    index = set.end
                } else {
                    result += literal(scalar)
                }
            default:
                result += literal(scalar)
            }
        }
        return result
    }

    /// The set opened by the `[` just before `start`, and the index after its `]`; `nil` when it is never closed.
    ///
    /// As in `fnmatch`: `!` first negates, a `]` first is a member, `a-z` is a range, a reversed range is
    /// dropped, and `-` first or last is a member.
    private static func setExpression(in scalars: [Unicode.Scalar], after start: Int)
        -> (expression: String, end: Int)?
    {
        var close = start
        let negated = close < scalars.count && scalars[close] == "!"
        if negated { close += 1 }
        let first = close
        if close < scalars.count && scalars[close] == "]" { close += 1 }
        while close < scalars.count && scalars[close] != "]" { close += 1 }
        guard close < scalars.count else { return nil }
        var members = ""
        var index = first
        while index < close {
            let low = scalars[index]
            if index + 2 < close && scalars[index + 1] == "-" {
                let high = scalars[index + 2]
                if low.value <= high.value { members += literal(low) + "-" + literal(high) }
                index += 3
            } else {
                members += literal(low)
                index += 1
            }
        }
        // Only reversed ranges: nothing matches, or with `!` any one character.
        if members.isEmpty { return (negated ? "." : "(?!x)x", close + 1) }
        return ("[" + (negated ? "^" : "") + members + "]", close + 1)
    }

    /// `scalar` as a literal, in a set or out: ASCII letters and digits as they are, anything else by code point.
    private static func literal(_ scalar: Unicode.Scalar) -> String {
        switch scalar.value {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: String(Character(scalar))
        default: "\\x{" + String(scalar.value, radix: 16) + "}"
        }
    }
}
