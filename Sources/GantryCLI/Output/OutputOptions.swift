import ArgumentParser
import Foundation

/// The `--json` flag, and printing a collection either as a table or in the HTTP API's envelope.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON in the HTTP API's shape instead of a table.")
    var json = false

    /// Prints `items` as `{"<key>": [...], "meta": {"total": N}}` with `--json`, else as `table()`.
    func print<Item: Encodable>(_ items: [Item], key: String, table: () -> TextTable) throws {
        if json {
            Swift.print(try Self.envelope(items, key: key))
        } else {
            Swift.print(table().rendered)
        }
    }

    static func envelope<Item: Encodable>(_ items: [Item], key: String) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let data = try encoder.encode([key: AnyEncodable(items), "meta": AnyEncodable(["total": items.count])])
        return String(decoding: data, as: UTF8.self)
    }
}

/// Lets differently typed values share one JSON object.
private struct AnyEncodable: Encodable {
    let value: any Encodable
    init(_ value: any Encodable) { self.value = value }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}
