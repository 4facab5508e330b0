public import GantryModel
import GantryWire

extension WorkerInfo {
    /// The info as stored with the worker (Buildbot's `workerinfo`); raw bytes, which no worker sends here,
    /// become their count. `environ` keeps only what ``WorkerEnviron`` shows: a buildbot-worker reports its
    /// whole environment, and the workers API shows the info to anyone.
    public var json: [String: JSONValue] {
        var json = values.mapValues(Self.json)
        if case .object(let environ)? = json["environ"] {
            json["environ"] = .object(environ.filter { WorkerEnviron.shows($0.key) })
        }
        return json
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
