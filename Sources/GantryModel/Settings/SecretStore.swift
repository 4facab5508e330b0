public import Foundation

/// Where `%(secret:NAME)s` finds its values: a file named NAME in a directory (trailing newline removed, as
/// Buildbot's `SecretInAFile` does), else the environment variable PREFIX + NAME.
public struct SecretStore: Sendable {
    public var directory: String?
    public var environmentPrefix: String?
    private let environment: [String: String]

    public init(
        directory: String? = nil, environmentPrefix: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.directory = directory
        self.environmentPrefix = environmentPrefix
        self.environment = environment
    }

    /// The secret's value; nil when no source has it (or the name could escape the directory).
    public func value(_ name: String) -> String? {
        guard !name.isEmpty, !name.contains("/"), !name.hasPrefix(".") else { return nil }
        // A file that cannot be read counts as absent; the step then fails naming the secret it lacks.
        if let directory,
            let text = try? String(contentsOfFile: directory + "/" + name, encoding: .utf8)
        {
            return text.hasSuffix("\n") ? String(text.dropLast()) : text
        }
        if let environmentPrefix { return environment[environmentPrefix + name] }
        return nil
    }
}
