import Foundation
import GantryModel

/// One status a commit-status reporter (GitHub, GitLab, Gitea) posts: a revision of a repository, in a
/// context, at a moment of a build request; each host's ``CommitStatusAPI`` turns it into its request.
struct CommitStatus: Sendable, Hashable {
    /// Where the build request stands, in the terms every code host's states are mapped from.
    enum Phase: Sendable, Hashable {
        /// Queued: requested, or to be retried.
        case pending
        case running
        /// Over, with these results; a request cancelled before any build took it is `.done(.cancelled)`, so
        /// its pending status is cleared (Buildbot left it pending, buildbot#6625).
        case done(BuildResult)
    }

    var repository: RepositoryPath
    var revision: String
    /// The source stamp's branch (GitLab's `ref`).
    var branch: String?
    /// The configured context with `{builder}` replaced.
    var context: String
    var phase: Phase
    /// `Build pending.`, `Build started.`, `Build done: failure.`, `Build will be retried.`, `Build cancelled.`
    var description: String
    /// The build's page on the web UI (its builder's before there is a build).
    var targetURL: String

    /// Where reports of this status replace one another: `<repository path>@<revision>#<context>`.
    var target: String { "\(repository.path)@\(revision)#\(context)" }

    /// Whether `revision` is a full commit id (SHA-1 or SHA-256, in hex): the only thing code hosts put a status
    /// on, and nothing typed into a force form can reach another API path through it.
    static func isCommitID(_ revision: String) -> Bool {
        [40, 64].contains(revision.utf8.count)
            && revision.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) || (65...70).contains($0) }
    }

    /// The statuses `subject` calls for: one per source stamp that has a full commit id and whose repository URL
    /// names a repository the host's API can address (`nested`: GitLab's groups); none for a finished build
    /// that has no results.
    /// - Parameter context: The configured context; `{builder}` is replaced by the builder's name.
    static func all(for subject: ReportSubject, context: String, links: ReportLinks, nested: Bool) -> [CommitStatus] {
        guard case let (phase, description)? = moment(of: subject) else { return [] }
        let context = context.replacingOccurrences(of: "{builder}", with: subject.builder.name)
        let page = links.page(of: subject)
        return subject.sourceStamps.compactMap { stamp in
            guard let revision = stamp.revision, Self.isCommitID(revision),
                let repository = RepositoryPath(url: stamp.repository), nested || repository.components.count == 2
            else { return nil }
            return CommitStatus(
                repository: repository, revision: revision, branch: stamp.branch, context: context, phase: phase,
                description: description, targetURL: page)
        }
    }

    private static func moment(of subject: ReportSubject) -> (Phase, String)? {
        switch subject.moment {
        case .requested: return (.pending, "Build pending.")
        case .started: return (.running, "Build started.")
        case .cancelled: return (.done(.cancelled), "Build cancelled.")
        case .finished:
            guard let results = subject.build?.results else { return nil }
            // A retried build's request is queued again.
            if results == .retry { return (.pending, "Build will be retried.") }
            return (.done(results), "Build done: \(results.name).")
        }
    }
}
