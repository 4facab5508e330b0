public import Foundation

/// A change to the source, as a change hook or `gantry sendchange` reported it: what was reported (its fields
/// read through, as `change.author`) and what the database assigned.
@dynamicMemberLookup
public struct Change: Sendable, Hashable {
    public var id: Int
    /// The fields as reported, with properties as `name: [value, source]` (the source is `Change`).
    public var details: NewChange
    /// When the change was made (the time it was stored when the report gave none), to the second.
    public var when: Date
    public var sourceStampID: Int
    /// The previous change on the same branch, repository, project and codebase, if any.
    public var parentChangeIDs: [Int]

    public init(id: Int, details: NewChange, when: Date, sourceStampID: Int, parentChangeIDs: [Int] = []) {
        self.id = id
        self.details = details
        self.when = when
        self.sourceStampID = sourceStampID
        self.parentChangeIDs = parentChangeIDs
    }

    public subscript<Value>(dynamicMember field: KeyPath<NewChange, Value>) -> Value {
        details[keyPath: field]
    }
}

/// A change to store: everything but what the database assigns.
public struct NewChange: Sendable, Hashable {
    public var author: String
    public var committer: String?
    public var comments: String
    public var files: [String]
    /// Plain values; they are stored with the source `Change`.
    public var properties: [String: JSONValue]
    public var revision: String?
    public var revlink: String?
    /// `nil` is the repository's default branch.
    public var branch: String?
    public var repository: String
    public var project: String
    public var codebase: String
    public var category: String?
    /// When the change was made; now when not given.
    public var when: Date?

    public init(
        author: String,
        committer: String? = nil,
        comments: String = "",
        files: [String] = [],
        properties: [String: JSONValue] = [:],
        revision: String? = nil,
        revlink: String? = nil,
        branch: String? = nil,
        repository: String = "",
        project: String = "",
        codebase: String = "",
        category: String? = nil,
        when: Date? = nil
    ) {
        self.author = author
        self.committer = committer
        self.comments = comments
        self.files = files
        self.properties = properties
        self.revision = revision
        self.revlink = revlink
        self.branch = branch
        self.repository = repository
        self.project = project
        self.codebase = codebase
        self.category = category
        self.when = when
    }
}
