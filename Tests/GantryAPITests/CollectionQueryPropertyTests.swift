import GantryModel
import GantryTesting
import Hummingbird
import Testing

@testable import GantryAPI

/// Query options are whatever a client sends: any keys and values, in any number, parse or are refused as an
/// invalid argument (a 400), and never stop the master. Sampled from a fixed seed, so a failure repeats.
@Suite("HTTP API: query options, sampled", .paced)
struct CollectionQueryPropertyTests {
    static let iterations = 4000

    @Test("random options parse or are refused as invalid arguments")
    func randomOptions() {
        var sampler = QuerySampler(seed: 0x6761_6e74_7279_0001)
        var outcomes = Outcomes()
        for iteration in 0..<Self.iterations {
            switch iteration % 5 {
            case 0: outcomes.add(Self.check(BuildField.self, &sampler))
            case 1: outcomes.add(Self.check(ChangeField.self, &sampler))
            case 2: outcomes.add(Self.check(WorkerField.self, &sampler))
            case 3: outcomes.add(Self.check(SchedulerField.self, &sampler))
            default: outcomes.add(Self.check(StepField.self, &sampler))
            }
        }
        #expect(outcomes.parsed > Self.iterations / 20, "the sample must reach queries that parse")
        #expect(outcomes.refused > Self.iterations / 20, "the sample must reach queries that are refused")
    }

    @Test("random query strings, read from the request as the API reads them, parse or are refused")
    func randomQueryStrings() {
        var sampler = QuerySampler(seed: 0x6761_6e74_7279_0002)
        var outcomes = Outcomes()
        for _ in 0..<Self.iterations {
            let query = sampler.queryString()
            let request = Request(
                head: HTTPRequest(
                    method: .get, scheme: "http", authority: "localhost", path: "/api/v2/builds?\(query)"),
                body: RequestBody(buffer: ByteBuffer())
            )
            outcomes.add(Self.parse(BuildField.self, HTTPAPI.options(of: request), query: query))
        }
        #expect(outcomes.parsed > 0)
        #expect(outcomes.refused > 0)
    }

    /// Samples options for `Field` and parses them.
    static func check<Field: QueryField>(_: Field.Type, _ sampler: inout QuerySampler) -> Bool {
        let options = sampler.options(fields: Field.allCases.map(\.rawValue))
        return parse(Field.self, options, query: "\(options)")
    }

    /// Whether `options` parsed; a refusal other than an invalid argument is recorded as an issue. A parsed
    /// query is also applied to a few items, so its paging numbers are used as a collection uses them.
    static func parse<Field: QueryField>(_: Field.Type, _ options: [(key: String, value: String)], query: String)
        -> Bool
    {
        let keys = Set(Field.allCases.map(\.rawValue))
        do throws(GantryError) {
            let parsed = try CollectionQuery<Field>(options, keys: keys)
            let page = parsed.spec.select(from: [0, 1, 2, 3]) { item, field -> QueryValue? in
                switch field.valueType {
                case .int: return .int(item)
                case .string: return .string("item \(item)")
                case .bool: return .bool(item % 2 == 0)
                }
            }
            #expect(page.items.count <= page.total && page.total <= 4, "\(query)")
            return true
        } catch {
            #expect(error.code == .invalidArgument, "\(query): \(error)")
            return false
        }
    }
}

/// How many sampled queries parsed and how many were refused.
struct Outcomes {
    var parsed = 0
    var refused = 0

    mutating func add(_ didParse: Bool) {
        if didParse { parsed += 1 } else { refused += 1 }
    }
}

/// Query options a client might send, hostile ones included: known and unknown keys, `__` operators good and
/// bad, repeated keys, numbers far beyond `Int`, and arbitrary bytes.
struct QuerySampler {
    var generator: SplitMix64

    init(seed: UInt64) {
        generator = SplitMix64(seed: seed)
    }

    static let operators = FilterOperator.allCases.map(\.rawValue)
    static let badOperators = ["", "_", "__", "eq__eq", "EQ", "in", "isnull", "contains\u{0}", "lt ", "\u{FFFD}"]
    static let numbers = [
        "0", "1", "-1", "\(Int.max)", "\(Int.min)", "9223372036854775808", "-9223372036854775809",
        "1e3", "1.5", "+1", " 1", "0x10", "\u{0663}", "1\u{0}", "-0", "--1", "",
    ]
    static let words = ["true", "false", "YES", "off", "2", "-", "--", "=", "&", "%", "%zz", "\u{0}", "null"]

    mutating func below(_ count: Int) -> Int {
        Int(generator.next() % UInt64(count))
    }

    mutating func pick(_ items: [String]) -> String {
        items[below(items.count)]
    }

    /// Up to 24 arbitrary bytes, read as UTF-8 the way a server reads them (invalid ones replaced).
    mutating func bytes() -> String {
        let count = below(25)
        let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A run of 1 to 400 nines: far past `Int.max`, but still text a client can send.
    mutating func hugeNumber() -> String {
        (below(2) == 0 ? "" : "-") + String(repeating: "9", count: 1 + below(400))
    }

    mutating func key(fields: [String], earlier: [String]) -> String {
        switch below(8) {
        case 0: return pick(["limit", "offset", "order", "field"])
        case 1, 2: return pick(fields)
        case 3: return pick(fields) + "__" + pick(Self.operators)
        case 4: return pick(fields) + "__" + pick(Self.badOperators)
        case 5: return pick(["__", "___", "__eq", "", "=", "&", "limit__eq", "order__ne", "\u{0}"])
        case 6: return earlier.isEmpty ? bytes() : pick(earlier)
        default: return bytes()
        }
    }

    mutating func value(fields: [String]) -> String {
        switch below(7) {
        case 0: return pick(Self.numbers)
        case 1: return hugeNumber()
        case 2: return pick(fields)
        case 3: return pick(["-", "--", ""]) + pick(fields)
        case 4: return pick(Self.words)
        case 5: return String(below(100))
        default: return bytes()
        }
    }

    /// Up to 8 options for a collection whose filterable fields are `fields`.
    mutating func options(fields: [String]) -> [(key: String, value: String)] {
        var options: [(key: String, value: String)] = []
        for _ in 0..<below(9) {
            let name = key(fields: fields, earlier: options.map(\.key))
            options.append((key: name, value: value(fields: fields)))
        }
        return options
    }

    /// A raw query string, percent escapes (good and broken) included.
    mutating func queryString() -> String {
        let fields = BuildField.allCases.map(\.rawValue)
        let pieces = (0..<below(9)).map { _ -> String in
            let name = key(fields: fields, earlier: [])
            switch below(5) {
            case 0: return name
            case 1: return "\(name)=\(value(fields: fields))"
            case 2: return "\(name)=\(pick(["%", "%2", "%zz", "%ff%fe", "%00", "%25", "+", "==", "%2D1"]))"
            case 3: return "\(name)==\(value(fields: fields))"
            default: return "\(name)=\(value(fields: fields))&"
            }
        }
        return pieces.joined(separator: "&")
    }
}
