import GantryModel
import PostgresNIO

/// Turns errors from the database drivers into one secret-free line for users.
public enum DatabaseFailure {
    /// `error` as one line: Gantry's own message, the SQLSTATE and server message of PostgreSQL errors (whose
    /// `description` is deliberately empty of detail), or the driver's description.
    public static func reason(_ error: any Error) -> String {
        if let error = error as? GantryError { return error.message }
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                guard let sqlState = error.serverInfo?[.sqlState] else { return oneLine(message) }
                return "SQLSTATE \(sqlState): \(oneLine(message))"
            }
            if let underlying = error.underlying { return "\(error.code): \(reason(underlying))" }
            return error.code.description
        }
        return oneLine("\(error)")
    }

    /// `error` of a PostgreSQL transaction as its caller sees it: a connection that failed while the transaction
    /// surely had not committed is `GantryError.databaseUnavailable`, since nothing was written and the same call
    /// may pass when made again; any other error is returned unchanged.
    static func uncommitted(_ error: any Error) -> any Error {
        guard let failure = error as? StatementError, failure.leftTransactionUncommitted else { return error }
        return GantryError(.databaseUnavailable, "\(failure); nothing was written")
    }

    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
