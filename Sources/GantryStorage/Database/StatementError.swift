import Foundation
import NIOCore
import PostgresNIO

/// A PostgreSQL statement that failed, named by its kind and table and by the server's SQLSTATE and message.
///
/// `PSQLError.description` is generic on purpose, which left the logs with no cause. This one names the cause but
/// never a bound value: a bound text the server quotes back in its message is masked.
package struct StatementError: Error, Sendable, CustomStringConvertible {
    /// How the statement failed.
    package enum Cause: Sendable {
        /// PostgreSQL answered with an error: its SQLSTATE and message.
        case server(String, String)
        /// The connection was closed before the statement was written to it.
        case closedBeforeSending
        /// The connection failed while the statement was out; the driver's reason.
        case connectionLost(String)
        /// The driver failed the statement for another reason.
        case driver(String)
    }

    /// The statement's first keyword and, when cheaply known, its table: `INSERT buildsets`, `COMMIT`.
    package let statement: String
    package let cause: Cause
    /// The driver's error, for `String(reflecting:)` when debugging.
    package let underlying: (any Error)?

    /// The failure of `sql`, whose values were `binds`.
    package init(sql: String, binds: [any Encodable & Sendable], error: any Error) {
        self.statement = Self.statement(of: sql)
        self.cause = Self.cause(of: error, binds: binds.compactMap { $0 as? String })
        self.underlying = error
    }

    /// `sql`, refused because its connection was closed before it could be written.
    package init(closedBeforeSending sql: String) {
        self.statement = Self.statement(of: sql)
        self.cause = .closedBeforeSending
        self.underlying = nil
    }

    package var description: String {
        switch cause {
        case .server(let sqlState, let message):
            return "\(statement) failed: SQLSTATE \(sqlState): \(message)"
        case .closedBeforeSending:
            return "\(statement) not sent: the connection to PostgreSQL was closed"
        case .connectionLost(let reason):
            let outcome = statement == "COMMIT" ? "; whether it committed is unknown" : ""
            return "\(statement) failed: the connection to PostgreSQL was lost (\(reason))\(outcome)"
        case .driver(let reason):
            return "\(statement) failed: \(reason)"
        }
    }

    /// Whether the connection failed rather than the statement, with the transaction surely uncommitted: the server
    /// rolls back the transaction of a session that ends, and a COMMIT never sent committed nothing.
    package var leftTransactionUncommitted: Bool {
        switch cause {
        case .closedBeforeSending: true
        case .connectionLost: statement != "COMMIT"
        case .server(let sqlState, _): statement != "COMMIT" && Self.endsSession(sqlState)
        case .driver: false
        }
    }

    /// Connection exceptions (class 08) and the shutdowns that end a session (57P01 to 57P03).
    private static func endsSession(_ sqlState: String) -> Bool {
        sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(sqlState)
    }

    private static func cause(of error: any Error, binds: [String]) -> Cause {
        if let error = error as? PSQLError {
            if let sqlState = error.serverInfo?[.sqlState] {
                let message = masking(DatabaseFailure.oneLine(error.serverInfo?[.message] ?? ""), binds: binds)
                return .server(sqlState, message)
            }
            switch error.code {
            case .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .connectionError:
                let reason = error.underlying.map { "\(error.code): \(DatabaseFailure.reason($0))" }
                return .connectionLost(reason ?? error.code.description)
            default:
                return .driver(error.code.description)
            }
        }
        if error is ChannelError || error is IOError { return .connectionLost(DatabaseFailure.oneLine("\(error)")) }
        // Its description would show the value that could not be encoded.
        if error is EncodingError { return .driver("a bound value could not be encoded") }
        return .driver(DatabaseFailure.oneLine("\(error)"))
    }

    /// The first keyword of `sql`, upper-cased, and the table of an INSERT, UPDATE, DELETE or (at its top level)
    /// SELECT; `statement` when the text does not start with a keyword.
    package static func statement(of sql: String) -> String {
        let words = sql.split(whereSeparator: \.isWhitespace)
        guard let first = words.first, first.allSatisfy({ $0.isASCII && $0.isLetter }) else { return "statement" }
        let keyword = first.uppercased()
        func word(_ index: Int) -> Substring? { index < words.count ? words[index] : nil }
        let table: Substring?
        switch keyword {
        case "INSERT": table = word(1)?.uppercased() == "INTO" ? word(2) : nil
        case "DELETE": table = word(1)?.uppercased() == "FROM" ? word(2) : nil
        case "UPDATE": table = word(1)
        case "SELECT": table = topLevelFrom(words).flatMap { word($0) }
        default: table = nil
        }
        guard let name = table.flatMap({ identifier($0) }) else { return keyword }
        return "\(keyword) \(name)"
    }

    /// The index of the word after the first FROM outside parentheses.
    private static func topLevelFrom(_ words: [Substring]) -> Int? {
        var depth = 0
        for (index, word) in words.enumerated() {
            if depth == 0 && word.uppercased() == "FROM" { return index + 1 }
            depth += word.filter { $0 == "(" }.count - word.filter { $0 == ")" }.count
        }
        return nil
    }

    /// `word` as a table name without its quotes, or `nil` when it is not a plain identifier.
    private static func identifier(_ word: Substring) -> String? {
        let name = word.prefix { $0 != "(" && $0 != "," && $0 != ";" }.filter { $0 != "\"" }
        guard let first = name.first, first.isLetter || first == "_",
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ".") })
        else { return nil }
        return String(name)
    }

    /// `message` with every bound text it quotes (PostgreSQL quotes the input it could not read) replaced by `****`.
    package static func masking(_ message: String, binds: [String]) -> String {
        binds.filter { !$0.isEmpty }.reduce(message) { text, bind in
            text.replacingOccurrences(of: "\"\(bind)\"", with: "\"****\"")
        }
    }
}
