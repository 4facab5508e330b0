public import GantryCluster
public import GantryModel
import GantryStorage
import Logging

/// Buildbot's `ForceScheduler`: a buildset on request, from typed parameters that are all validated before
/// anything is written.
///
/// Built-in parameters: `reason` (default "force build"), `priority` (default 0) and, per codebase, `branch`,
/// `revision`, `repository` and `project` (prefixed `<codebase>_` for a named codebase). Every parameter's value
/// becomes a property with the source "Force Build Form", as do `owner` and `reason`. The owner is the caller's,
/// else a `username` parameter's value, else "anonymous".
///
/// Any master can force: the buildset is written fenced by the claim of the master running the scheduler, so
/// it lands only while that claim holds, and a scheduler no master runs refuses with a clear error.
public struct ForceScheduler: ClusteredServiceBehavior, ContextualScheduler {
    /// The source of the properties a force sets, `owner` among them: what tells a forced owner from one a
    /// change's properties brought.
    public static let propertySource = "Force Build Form"

    public let kind = ServiceKind.scheduler
    public let options: SchedulerOptions
    /// The configured parameters, after the built-in ones.
    public let parameters: [ForceParameter]
    public let context: SchedulerContext

    public init(options: SchedulerOptions, parameters: [ForceParameter], context: SchedulerContext) {
        self.options = options
        self.parameters = parameters
        self.context = context
    }

    public var name: String { options.name }

    /// Every parameter the scheduler accepts, built-in ones first.
    public var allParameters: [ForceParameter] {
        Self.reasonAndPriority + options.codebases.keys.sorted().flatMap(Self.sourceStampParameters) + parameters
    }

    /// The built-in parameters saying why the build is forced and how urgently.
    static let reasonAndPriority = [
        ForceParameter(name: "reason", kind: .string, label: "reason", defaultValue: "force build"),
        ForceParameter(name: "priority", kind: .int, label: "priority", defaultValue: 0),
    ]

    /// The built-in parameters of `codebase`'s source stamp.
    static func sourceStampParameters(_ codebase: String) -> [ForceParameter] {
        ["branch", "revision", "repository", "project"].map {
            ForceParameter(name: fieldName($0, codebase: codebase), kind: .string)
        }
    }

    /// Every reason a force request was refused, by parameter name.
    public struct Refusal: Error, Sendable, Hashable {
        public var errors: [String: String]
    }

    /// Forces a buildset.
    /// - Parameters:
    ///   - builderNames: A subset of the scheduler's builders; all of them when `nil`.
    ///   - arguments: Parameter values by name; unknown names are refused.
    /// - Throws: ``Refusal`` listing every invalid argument; `GantryError.notFound` when no master runs the
    ///   scheduler, `.conflict` when it is disabled, `.fenced` when another master took it over before the buildset
    ///   was written (nothing was).
    public func force(
        owner: String?,
        builderNames: [String]? = nil,
        arguments: [String: JSONValue]
    ) async throws -> BuildsetAdder.Added {
        let accepted = allParameters
        var errors: [String: String] = [:]
        for name in arguments.keys where !accepted.contains(where: { $0.name == name }) {
            errors[name] = "is not a parameter of force scheduler '\(self.name)'"
        }
        var values: [String: JSONValue] = [:]
        for parameter in accepted {
            switch parameter.validate(arguments[parameter.name]) {
            case .success(let value): values[parameter.name] = value
            case .failure(let error): errors[error.name] = error.message
            }
        }
        let builders = builderNames.map { requested in options.builderNames.filter(requested.contains) }
        if builders?.isEmpty == true {
            errors["builderNames"] = "none of the requested builders is a builder of force scheduler '\(name)'"
        }
        guard errors.isEmpty else { throw Refusal(errors: errors) }

        let fence = try await database.schedulers.runningSchedulerFence(name, description: "force scheduler")
        let username = parameters.first { $0.kind == .username }.flatMap { values[$0.name]?.string }
        let owner = [owner, username].compactMap { $0 }.first { !$0.isEmpty } ?? "anonymous"
        let reason = values["reason"]?.string ?? ""
        var request = BuildsetAdder.Request(fence: fence, reason: "A build was forced by '\(owner)': \(reason)")
        request.builderNames = builders
        request.priority = values["priority"]?.integer
        request.properties["owner"] = [.string(owner), .string(Self.propertySource)]
        for name in ["reason"] + parameters.map(\.name) {
            request.properties[name] = [values[name] ?? .null, .string(Self.propertySource)]
        }
        let stamps = options.codebases.keys.sorted().map { codebase in
            func field(_ name: String) -> String? {
                values[Self.fieldName(name, codebase: codebase)]?.string.flatMap { $0.isEmpty ? nil : $0 }
            }
            return BuildsetAdder.PartialSourceStamp(
                codebase: codebase, repository: field("repository"), branch: field("branch"),
                revision: field("revision"), project: field("project"))
        }
        return
            try await adder
            .addBuildsetForSourceStampsWithDefaults(request, sourceStamps: stamps)
    }

    /// Buildbot's nested name of a codebase field: `branch` for the unnamed codebase, `lib_branch` for `lib`.
    static func fieldName(_ field: String, codebase: String) -> String {
        codebase.isEmpty ? field : "\(codebase)_\(field)"
    }
}
