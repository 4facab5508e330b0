public import GantryModel

/// What a Trigger step asks of a triggerable scheduler: the sourcestamps to build and the properties of the
/// triggering build.
public struct TriggerRequest: Sendable, Hashable {
    /// One stamp per codebase at most; codebases not named are built at their defaults.
    public var sourceStamps: [BuildsetAdder.PartialSourceStamp]
    /// `name: [value, source]` pairs.
    public var properties: [String: JSONValue]
    /// Whether the triggering build waits for the results.
    public var waitedFor: Bool
    /// The triggering build, recorded with the buildset.
    public var parent: BuildsetParent?

    public init(
        sourceStamps: [BuildsetAdder.PartialSourceStamp] = [],
        properties: [String: JSONValue] = [:],
        waitedFor: Bool = false,
        parent: BuildsetParent? = nil
    ) {
        self.sourceStamps = sourceStamps
        self.properties = properties
        self.waitedFor = waitedFor
        self.parent = parent
    }
}

extension TriggerRequest {
    /// The request as stored in scheduler state.
    var json: JSONValue {
        let stamps = sourceStamps.map { stamp -> JSONValue in
            var fields: [String: JSONValue] = ["codebase": .string(stamp.codebase)]
            fields["repository"] = stamp.repository.map(JSONValue.string)
            fields["branch"] = stamp.branch.map(JSONValue.string)
            fields["revision"] = stamp.revision.map(JSONValue.string)
            fields["project"] = stamp.project.map(JSONValue.string)
            return .object(fields)
        }
        return [
            "sourcestamps": .array(stamps), "properties": .object(properties), "waited_for": .bool(waitedFor),
            "parent_buildid": parent.map { .number(Double($0.buildID)) } ?? .null,
            "parent_relationship": parent.map { .string($0.relationship) } ?? .null,
        ]
    }

    /// A request read back from scheduler state; `nil` when the stored value is not one.
    init?(json: JSONValue) {
        guard case .object(let properties)? = json["properties"], case .array(let stamps)? = json["sourcestamps"]
        else { return nil }
        var sourceStamps: [BuildsetAdder.PartialSourceStamp] = []
        for stamp in stamps {
            guard let codebase = stamp["codebase"]?.string else { return nil }
            sourceStamps.append(
                BuildsetAdder.PartialSourceStamp(
                    codebase: codebase, repository: stamp["repository"]?.string, branch: stamp["branch"]?.string,
                    revision: stamp["revision"]?.string, project: stamp["project"]?.string))
        }
        // A trigger recorded before parents were kept has none.
        let relationship = json["parent_relationship"]?.string ?? BuildsetParent.triggeredFrom
        let parent = json["parent_buildid"]?.integer.map { BuildsetParent(buildID: $0, relationship: relationship) }
        self.init(
            sourceStamps: sourceStamps, properties: properties, waitedFor: json["waited_for"] == .bool(true),
            parent: parent)
    }
}
