/// Why a request to a worker, or a remote command, did not succeed.
public enum WorkerLinkError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The connection ended first; the reason says how.
    case connectionLost(String)
    /// The worker answered the request with an exception.
    case remote(String)
    /// The worker broke the protocol; the link closes.
    case protocolViolation(String)
    /// No answer within the deadline.
    case timedOut(String)

    public var description: String {
        switch self {
        case .connectionLost(let reason): "connection to the worker lost: \(reason)"
        case .remote(let message): "the worker refused: \(message)"
        case .protocolViolation(let reason): "protocol violation: \(reason)"
        case .timedOut(let what): "the worker did not answer \(what) in time"
        }
    }
}
