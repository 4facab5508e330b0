public import GantryModel

extension ForceScheduler {
    /// A group of fields of the force form, as Buildbot's `NestedParameter` lays them out.
    public struct FieldGroup: Sendable, Hashable {
        /// The codebase whose source stamp the fields describe; `nil` for the group saying who forces and why.
        public var codebase: String?
        public var parameters: [ForceParameter]

        /// `parameter`'s name within the group: a codebase field's without the codebase's prefix (`branch` for
        /// `lib_branch`), as Buildbot names a nested field.
        public func shortName(of parameter: ForceParameter) -> String {
            guard let codebase, !codebase.isEmpty else { return parameter.name }
            return String(parameter.name.dropFirst(codebase.count + 1))
        }
    }

    /// The groups Buildbot's form opens with: who forces and why (the `username` parameters, `reason` and
    /// `priority`), then one group per codebase with its `branch`, `project`, `repository` and `revision`. The
    /// other parameters follow, each on its own (``ungroupedParameters``).
    public var fieldGroups: [FieldGroup] {
        let usernames = parameters.filter { $0.kind == .username }
        let codebases = options.codebases.keys.sorted().map { codebase in
            let fields = Self.sourceStampParameters(codebase).sorted { $0.name < $1.name }
            return FieldGroup(codebase: codebase, parameters: fields)
        }
        return [FieldGroup(codebase: nil, parameters: usernames + Self.reasonAndPriority)] + codebases
    }

    /// The configured parameters shown after the groups, in their order.
    public var ungroupedParameters: [ForceParameter] {
        parameters.filter { $0.kind != .username }
    }
}
