import Foundation

extension JSONValue {
    /// `value` as the data API shows it: its `Codable` form, which uses the data API's field names.
    init(encoding value: some Encodable) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: try JSONEncoder().encode(value))
    }

    /// A value's data-API form, for values whose `Codable` form is made of strings, numbers, booleans and JSON
    /// values only, which always encode.
    static func resource(of value: some Encodable) -> JSONValue {
        (try? JSONValue(encoding: value)) ?? .null
    }

    /// A time as the data API shows it: seconds since 1970, `null` when there is none.
    static func time(_ date: Date?) -> JSONValue {
        date.map { .number($0.timeIntervalSince1970) } ?? .null
    }
}
