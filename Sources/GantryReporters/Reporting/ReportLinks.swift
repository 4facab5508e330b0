public import GantryModel

/// The links reports carry to the master's web UI (a commit status's target URL, a mail's build link).
public struct ReportLinks: Sendable, Hashable {
    /// The UI's public address, without a trailing slash (`https://ci.example.com`).
    public var baseURL: String

    public init(baseURL: String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
    }

    /// The build's page once there is a build, else its builder's page.
    public func page(of subject: ReportSubject) -> String {
        if let build = subject.build {
            return "\(baseURL)/builders/\(subject.builder.id)/builds/\(build.number)"
        }
        return "\(baseURL)/builders/\(subject.builder.id)"
    }
}
