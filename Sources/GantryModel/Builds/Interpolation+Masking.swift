import Foundation

extension Interpolation.Rendered {
    /// The text with each secret it used shown as `<NAME>`, longer values first so one that contains another is
    /// masked whole; for texts everyone may read, such as a step's state string (Buildbot's
    /// `cleanupTextFromSecrets`). Blank values are left alone, as Buildbot does: masking them would mangle the text.
    public var masked: String {
        secrets
            .filter { !$0.value.allSatisfy(\.isWhitespace) }
            .sorted { $0.value.count > $1.value.count }
            .reduce(text) { $0.replacingOccurrences(of: $1.value, with: "<\($1.key)>") }
    }
}
