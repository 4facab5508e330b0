/// The one error type Gantry's layers throw at each other and at users.
///
/// `description` is safe to show to anyone: it is the message alone, which never carries a password or an
/// underlying error's text. `debugDescription` adds the context, what failed underneath and where the error was
/// made, for operators' logs. The code is a struct over a private enum, so new codes can be added without
/// breaking callers that switch on the ones they know. Errors compare by code and message; context is ignored.
public struct GantryError: Error, Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case invalidName
            case invalidDatabaseURL
            case databaseUnavailable
            case schemaTooNew
            case schemaOutdated
            case invalidArgument
            case notFound
            case alreadyClaimed
            case fenced
            case conflict
            case corruptState
            case addressUnavailable
            case stopped
            case unauthenticated
            case forbidden
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// A name broke the identifier rule or a length limit.
        public static let invalidName = Code(.invalidName)
        /// A database URL could not be understood.
        public static let invalidDatabaseURL = Code(.invalidDatabaseURL)
        /// The database could not be opened or reached.
        public static let databaseUnavailable = Code(.databaseUnavailable)
        /// The database was written by a newer Gantry than this one.
        public static let schemaTooNew = Code(.schemaTooNew)
        /// The database schema is older than this Gantry; `gantry upgrade-master` brings it up to date.
        public static let schemaOutdated = Code(.schemaOutdated)
        /// An argument (a filter, an order, a limit) is not valid for the operation.
        public static let invalidArgument = Code(.invalidArgument)
        /// The object an operation names does not exist.
        public static let notFound = Code(.notFound)
        /// Another master owns the service this master tried to claim.
        public static let alreadyClaimed = Code(.alreadyClaimed)
        /// A write on behalf of a service whose claim is no longer current; nothing was written.
        public static let fenced = Code(.fenced)
        /// A server cannot listen on its address: another process has it, or it is not this machine's.
        public static let addressUnavailable = Code(.addressUnavailable)
        /// A compare-and-set write met a value written by someone else; nothing was written.
        public static let conflict = Code(.conflict)
        /// Stored state could not be decoded.
        public static let corruptState = Code(.corruptState)
        /// The service an operation waited on stopped before the operation finished.
        public static let stopped = Code(.stopped)
        /// The caller must log in: the action is not open to anonymous callers, or the credentials were not valid.
        public static let unauthenticated = Code(.unauthenticated)
        /// The caller may not: it is known, but no rule grants it the action.
        public static let forbidden = Code(.forbidden)

        public var description: String { base.rawValue }
    }

    /// Where the error came from, kept out of `description`. A class whose properties are all `let`, so it is
    /// plain `Sendable` and every copy of the error shares it.
    private final class Context: Sendable {
        let underlying: String?
        let file: String
        let line: Int

        init(underlying: String?, file: String, line: Int) {
            self.underlying = underlying
            self.file = file
            self.line = line
        }
    }

    /// What kind of failure this is.
    public let code: Code
    /// One line for the user; it names what failed and never holds a secret.
    public let message: String
    private let context: Context

    /// Creates an error with a code and a user-safe message.
    /// - Parameters:
    ///   - underlying: The error this one wraps; its full text (`String(reflecting:)`) is kept for
    ///     `debugDescription` only, so it must be an error whose text holds no secret.
    ///   - file: Where the error was made or wrapped; the caller's file unless given.
    ///   - line: Where the error was made or wrapped; the caller's line unless given.
    public init(
        _ code: Code, _ message: String, underlying: (any Error)? = nil, file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        context = Context(underlying: underlying.map { String(reflecting: $0) }, file: file, line: line)
    }

    /// The full text of the error this one wraps, if it wraps one; for operators, never for users.
    public var underlying: String? { context.underlying }
    /// The file (`#fileID`) where the error was made or wrapped.
    public var file: String { context.file }
    /// The line where the error was made or wrapped.
    public var line: Int { context.line }

    /// The message alone: safe for users, API answers and workers.
    public var description: String { message }

    /// Everything known, for operators' logs: code, message, the underlying error and the place.
    public var debugDescription: String {
        var text = "GantryError(code: \(code), message: \(String(reflecting: message))"
        if let underlying { text += ", underlying: \(underlying)" }
        return text + ", file: \(file), line: \(line))"
    }

    /// Code and message decide; where an error was made, and what it wraps, do not.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message
    }
}
