import Foundation

/// How values holding secrets print: each secret as `****`, so a description, a dump or a logged service never
/// shows one.
package enum Redaction {
    /// What a secret prints as.
    package static let mask = "****"

    /// `text` with the password of a `scheme://user:password@host…` URL masked; any other text as it is.
    package static func maskingURLPassword(_ text: String) -> String {
        guard let scheme = text.range(of: "://"), let at = text.range(of: "@", options: .backwards),
            scheme.upperBound < at.lowerBound
        else { return text }
        let credentials = text[scheme.upperBound..<at.lowerBound]
        guard let colon = credentials.firstIndex(of: ":") else { return text }
        return String(text[...colon]) + mask + String(text[at.lowerBound...])
    }

    /// `Name(label: value, …)`, as Swift prints a struct, but built from `mirror` so what it masks stays masked.
    package static func describe(_ mirror: Mirror) -> String {
        let fields = mirror.children.map { child -> String in
            let label = child.label ?? "_"
            return "\(label): \(String(reflecting: child.value))"
        }
        return "\(mirror.subjectType)(\(fields.joined(separator: ", ")))"
    }
}
