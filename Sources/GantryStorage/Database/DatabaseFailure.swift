import GantryModel
import PostgresNIO

/// Turns errors from the database drivers into one secret-free line for users.
public enum DatabaseFailure {
    /// `error` as one line: Gantry's own message, the server's message for PostgreSQL errors (whose
    /// `description` is deliberately empty of detail), or the driver's description.
    public static func reason(_ error: any Error) -> String {
        if let error = error as? GantryError { return error.message }
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            if let underlying = error.underlying { return oneLine("\(underlying)") }
            return error.code.description
        }
        return oneLine("\(error)")
    }

    private static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
