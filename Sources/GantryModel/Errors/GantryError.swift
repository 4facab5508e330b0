/// The one error type Gantry's layers throw at each other and at users.
///
/// `description` is safe to show to anyone: it never carries a password. The code is a struct over a private
/// enum, so new codes can be added without breaking callers that switch on the ones they know.
public struct GantryError: Error, Sendable, Equatable, CustomStringConvertible {
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

        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// One line for the user; it names what failed and never holds a secret.
    public let message: String

    /// Creates an error with a code and a user-safe message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
