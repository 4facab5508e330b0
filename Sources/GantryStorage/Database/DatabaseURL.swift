import Foundation
public import GantryModel

/// Where a Gantry database lives, parsed from the URL an operator writes.
///
/// Accepted forms: `sqlite:PATH`, `sqlite::memory:` and
/// `postgres://USER:PASSWORD@HOST:PORT/DATABASE[?schema=NAME&sslmode=disable|prefer|require]`
/// (`postgresql://` too). `description` masks the password.
public enum DatabaseURL: Sendable, Hashable, CustomStringConvertible {
    case sqlite(SQLiteLocation)
    case postgres(PostgresLocation)

    /// An SQLite database file, or a private in-memory database.
    public enum SQLiteLocation: Sendable, Hashable {
        case memory
        case file(path: String)
    }

    /// How to reach a PostgreSQL database.
    public struct PostgresLocation: Sendable, Hashable {
        public var host: String
        public var port: Int
        public var user: String
        public var password: String?
        public var database: String
        /// The schema Gantry's tables live in; `nil` means the server's default search path.
        public var schema: String?
        public var tls: TLSMode

        /// TLS use towards the server, as libpq's `sslmode`.
        public enum TLSMode: String, Sendable, Hashable {
            case disable, prefer, require
        }

        public init(
            host: String,
            port: Int = 5432,
            user: String,
            password: String?,
            database: String,
            schema: String? = nil,
            tls: TLSMode = .prefer
        ) {
            self.host = host
            self.port = port
            self.user = user
            self.password = password
            self.database = database
            self.schema = schema
            self.tls = tls
        }
    }

    /// Parses a database URL; a malformed one is a `GantryError.invalidDatabaseURL` naming it (password masked).
    public init(parsing text: String) throws(GantryError) {
        if text.hasPrefix("sqlite:") {
            self = try Self.parseSQLite(text)
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = try Self.parsePostgres(text)
        } else {
            throw Self.invalid(text, "expected sqlite:PATH, sqlite::memory: or postgres://USER:PASSWORD@HOST:PORT/DB")
        }
    }

    public var description: String {
        switch self {
        case .sqlite(.memory):
            return "sqlite::memory:"
        case .sqlite(.file(let path)):
            return "sqlite:\(path)"
        case .postgres(let location):
            let password = location.password == nil ? "" : ":" + Redaction.mask
            var text = "postgres://\(location.user)\(password)@\(location.host):\(location.port)/\(location.database)"
            if let schema = location.schema { text += "?schema=\(schema)" }
            return text
        }
    }

    private static func parseSQLite(_ text: String) throws(GantryError) -> Self {
        var path = String(text.dropFirst("sqlite:".count))
        if path == ":memory:" { return .sqlite(.memory) }
        if path.hasPrefix("//") { path.removeFirst(2) }
        guard !path.isEmpty else { throw invalid(text, "the SQLite file path is empty") }
        return .sqlite(.file(path: path))
    }

    private static func parsePostgres(_ text: String) throws(GantryError) -> Self {
        guard let components = URLComponents(string: text) else { throw invalid(text, "not a URL") }
        guard let host = components.host, !host.isEmpty else { throw invalid(text, "no host") }
        guard let user = components.user, !user.isEmpty else { throw invalid(text, "no user") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw invalid(text, "no database name") }
        var location = PostgresLocation(
            host: host,
            port: components.port ?? 5432,
            user: user.removingPercentEncoding ?? user,
            password: components.password.map { $0.removingPercentEncoding ?? $0 },
            database: database
        )
        for item in components.queryItems ?? [] {
            switch (item.name, item.value) {
            case ("schema", let value?) where isPlainSQLName(value):
                location.schema = value
            case ("sslmode", let value?):
                guard let mode = PostgresLocation.TLSMode(rawValue: value) else {
                    throw invalid(text, "sslmode must be disable, prefer or require")
                }
                location.tls = mode
            default:
                throw invalid(text, "unknown or invalid option '\(item.name)'")
            }
        }
        return .postgres(location)
    }

    /// Schema names are put into `SET search_path`, so only plain lower-risk names are accepted.
    private static func isPlainSQLName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first == "_", name.count <= 63 else {
            return false
        }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    private static func invalid(_ text: String, _ reason: String) -> GantryError {
        GantryError(.invalidDatabaseURL, "invalid database URL '\(masked(text))': \(reason)")
    }

    /// The URL text with any password replaced by `****`, for messages about URLs that did not parse.
    static func masked(_ text: String) -> String {
        Redaction.maskingURLPassword(text)
    }
}

/// `String(reflecting:)` and `dump` show the masked URL too: the location's own mirror masks the password.
extension DatabaseURL: CustomDebugStringConvertible {
    public var debugDescription: String { description }
}

/// The password prints as `****` however the location is printed.
extension DatabaseURL.PostgresLocation: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var customMirror: Mirror {
        let children: KeyValuePairs<String, Any> = [
            "host": host, "port": port, "user": user, "password": password.map { _ in Redaction.mask } as Any,
            "database": database, "schema": schema as Any, "tls": tls,
        ]
        return Mirror(self, children: children, displayStyle: .struct)
    }

    public var description: String { Redaction.describe(customMirror) }

    public var debugDescription: String { description }
}
