public import Foundation

/// What to build: a revision of a branch of a repository, for one codebase, maybe with a patch.
///
/// Stored once per distinct set of fields; changes and buildsets refer to it by id.
public struct SourceStamp: Sendable, Hashable {
    public var id: Int
    public var branch: String?
    public var revision: String?
    public var repository: String
    public var codebase: String
    public var project: String
    public var patch: Patch?
    public var createdAt: Date

    public init(
        id: Int,
        branch: String? = nil,
        revision: String? = nil,
        repository: String = "",
        codebase: String = "",
        project: String = "",
        patch: Patch? = nil,
        createdAt: Date
    ) {
        self.id = id
        self.branch = branch
        self.revision = revision
        self.repository = repository
        self.codebase = codebase
        self.project = project
        self.patch = patch
        self.createdAt = createdAt
    }
}

/// A patch applied on top of a source stamp's revision (a try build).
public struct Patch: Sendable, Hashable {
    /// The `-p` level to apply it with.
    public var level: Int
    /// The patch, base64-encoded, as Buildbot stores it.
    public var base64: String
    public var author: String?
    public var comment: String?
    /// The directory to apply it in, relative to the checkout.
    public var subdir: String?

    public init(level: Int, base64: String, author: String? = nil, comment: String? = nil, subdir: String? = nil) {
        self.level = level
        self.base64 = base64
        self.author = author
        self.comment = comment
        self.subdir = subdir
    }
}

/// The fields that identify a source stamp; equal fields are one stored source stamp (a patched one is always
/// new).
public struct SourceStampFields: Sendable, Hashable {
    public var branch: String?
    public var revision: String?
    public var repository: String
    public var codebase: String
    public var project: String
    public var patch: Patch?

    public init(
        branch: String? = nil,
        revision: String? = nil,
        repository: String = "",
        codebase: String = "",
        project: String = "",
        patch: Patch? = nil
    ) {
        self.branch = branch
        self.revision = revision
        self.repository = repository
        self.codebase = codebase
        self.project = project
        self.patch = patch
    }
}
