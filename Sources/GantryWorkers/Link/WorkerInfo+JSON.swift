public import GantryModel
import GantryWire

extension WorkerInfo {
    /// The info as stored with the worker (Buildbot's `workerinfo`); raw bytes, which no worker sends here,
    /// become their count.
    public var json: [String: JSONValue] {
        values.mapValues(Self.json)
    }

    private static func json(_ value: MessagePackValue) -> JSONValue {
        switch value {
        case .nil: .null
        case .bool(let flag): .bool(flag)
        case .int(let number): .number(Double(number))
        case .uint(let number): .number(Double(number))
        case .float(let number): .number(Double(number))
        case .double(let number): .number(number)
        case .string(let text): .string(text)
        case .binary(let bytes): .string("<\(bytes.count) bytes>")
        case .array(let elements): .array(elements.map(json))
        case .map(let entries):
            .object(
                Dictionary(entries.map { (($0.key.stringValue ?? "\($0.key)"), json($0.value)) }) { first, _ in first })
        }
    }
}
