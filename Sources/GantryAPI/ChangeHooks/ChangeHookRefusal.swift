import GantryModel

/// Why a change hook stored nothing: a request it must not trust (403) or cannot read (400).
struct ChangeHookRefusal: Error {
    enum Kind {
        case forbidden
        case badRequest
    }

    let kind: Kind
    let message: String

    static func forbidden(_ message: String) -> Self { Self(kind: .forbidden, message: message) }
    static func badRequest(_ message: String) -> Self { Self(kind: .badRequest, message: message) }
}
