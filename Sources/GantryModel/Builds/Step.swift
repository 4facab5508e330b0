/// One step of a builder's builds, with Buildbot's flags for what its failure does to the build.
public struct Step: Sendable, Hashable {
    /// What the step does.
    public enum Action: Sendable, Hashable {
        case shellCommand(ShellCommand)
        /// Runs the command and stores its trimmed standard output as a build property.
        case setPropertyFromCommand(ShellCommand, property: String)
        case fileUpload(FileUpload)
        case fileDownload(FileDownload)
        case directoryUpload(DirectoryUpload)
        case git(GitCheckout)
        case trigger(TriggerBuilds)
    }

    public var name: String
    public var action: Action
    /// A failure stops the build; later steps do not run.
    public var haltOnFailure = false
    /// A failure fails the build.
    public var flunkOnFailure = true
    /// A failure makes the build WARNINGS (when it does not flunk it).
    public var warnOnFailure = false
    /// What the state string says while the step runs, and once done unless `descriptionDone` is set; then
    /// `descriptionSuffix` after either (Buildbot's texts, see `StepDescription`). Interpolated.
    public var description: String?
    public var descriptionDone: String?
    public var descriptionSuffix: String?
    /// Links the step adds when it starts to run (Buildbot's step `urls`). Interpolated.
    public var urls: [StepURL] = []
    /// The results with which the step is hidden (Buildbot's `hideStepIf`); `[.success]` hides it when it passes.
    public var hideStepIf: Set<BuildResult> = []
    /// The step runs only when this holds, else it ends SKIPPED (Buildbot's `doStepIf`); always when `nil`.
    public var doStepIf: StepCondition?
    /// The locks the step holds while it runs, taken all at once after it starts (Buildbot's step `locks`).
    public var locks: [LockAccess] = []

    public init(name: String, action: Action) {
        self.name = name
        self.action = action
    }

    /// A `ShellCommand` step.
    public static func shell(_ name: String, _ command: ShellCommand.Command) -> Step {
        Step(name: name, action: .shellCommand(ShellCommand(command)))
    }

    /// What a step's result does to its build's result, as Buildbot's flunk/warn flags say.
    public func contribution(of result: BuildResult) -> BuildResult {
        switch result {
        case .failure where flunkOnFailure: .failure
        case .failure where warnOnFailure: .warnings
        case .failure: .success
        default: result
        }
    }
}
