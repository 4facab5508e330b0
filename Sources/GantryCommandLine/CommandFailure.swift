/// A failure reported to the user as one line, with a non-zero exit.
public struct CommandFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
