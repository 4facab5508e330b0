/// Buildbot's "50-character identifier" rule, which worker names must follow.
///
/// The first character is an ASCII letter, `_`, `-` or any character from U+00A0 up; the rest may also be
/// ASCII digits. Names are 1 to `maxLength` characters long.
public enum Identifier {
    /// The longest identifier Buildbot's schema stores for a worker name.
    public static let maxLength = 50

    /// The rule in words, for error messages.
    public static let rule =
        "1 to \(maxLength) characters; the first a letter, '_', '-' or a non-ASCII character; "
        + "the rest may also be digits"

    /// Whether `name` is a valid identifier of at most `maxLength` characters.
    public static func isValid(_ name: String, maxLength: Int = maxLength) -> Bool {
        guard !name.isEmpty, name.unicodeScalars.count <= maxLength else { return false }
        for (index, scalar) in name.unicodeScalars.enumerated() {
            let isLetter = ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
            let isExtra = scalar == "_" || scalar == "-" || scalar.value >= 0xA0
            let isDigit = ("0"..."9").contains(scalar)
            guard isLetter || isExtra || (index > 0 && isDigit) else { return false }
        }
        return true
    }

    /// Throws `GantryError.invalidName` unless `name` is a valid identifier.
    ///
    /// - Parameters:
    ///   - name: The candidate.
    ///   - kind: What the name is for ("worker name"), used in the message.
    public static func validate(_ name: String, as kind: String) throws(GantryError) {
        guard isValid(name) else {
            throw GantryError(.invalidName, "invalid \(kind) \(name.debugDescription): \(rule)")
        }
    }
}
