/// What a step's state string says, by Buildbot's rules (`getCurrentSummary`, `getResultSummary`): while it runs,
/// its `description` (else `running`); once done, its `descriptionDone` (else `description`, else `finished`),
/// either followed by `descriptionSuffix`, then the result in parentheses unless it is SUCCESS
/// (`compile (failure)`, `'make test' (skipped)`). A shell command without `descriptionDone` shows its first
/// words instead (`'make test ...'`); a Trigger shows the schedulers it triggered and nothing else.
public struct StepDescription: Sendable, Hashable {
    public var description: String?
    public var descriptionDone: String?
    public var descriptionSuffix: String?
    /// A shell command's words, which it shows once done when it has no `descriptionDone` (Buildbot's ShellMixin).
    public var command: [String]?
    /// SetPropertyFromCommand's `property 'NAME' set`, which replaces `descriptionDone` when the command succeeded.
    public var doneOnSuccess: String?
    /// The schedulers a Trigger step triggered (none when it did not run).
    public var triggered: [String]?

    public init(description: String? = nil, descriptionDone: String? = nil, descriptionSuffix: String? = nil) {
        self.description = description
        self.descriptionDone = descriptionDone
        self.descriptionSuffix = descriptionSuffix
    }

    /// The state string while the step runs.
    public var running: String {
        if let triggered { return triggered.isEmpty ? "running" : "triggered \(triggered.joined(separator: ", "))" }
        return description.map(suffixed) ?? "running"
    }

    /// The state string once the step ended with `results`.
    public func finished(_ results: BuildResult) -> String {
        if let triggered {
            if results == .cancelled { return "interrupted" }
            return triggered.isEmpty ? "finished" : running
        }
        let done = results == .success ? (doneOnSuccess ?? descriptionDone) : descriptionDone
        let summary: String
        if done == nil, let words = command.flatMap(Self.summary(ofCommand:)) {
            summary = words
        } else {
            summary = (done ?? description).map(suffixed) ?? "finished"
        }
        return results == .success ? summary : "\(summary) (\(results.name))"
    }

    private func suffixed(_ text: String) -> String {
        descriptionSuffix.map { "\(text) \($0)" } ?? text
    }

    /// Buildbot's `command_to_string`: the first two words quoted, with ` ...` when there are more.
    static func summary(ofCommand words: [String]) -> String? {
        guard !words.isEmpty else { return nil }
        return "'\(words.prefix(2).joined(separator: " "))\(words.count > 2 ? " ..." : "")'"
    }

    /// The part of `path` after its last `/`, as Python's `os.path.basename`.
    static func fileName(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
    }
}

extension StepDescription {
    /// The description of `step` as it starts: its own texts rendered by `interpolation` (every secret shown as
    /// `<NAME>`), completed as Buildbot's step of its kind completes them: Git `updating`/`update` with its codebase
    /// as suffix, a shell command's words, SetPropertyFromCommand's `property 'NAME' set`; and, when the step runs
    /// (`runs`: its `doStepIf` held), FileUpload `uploading FILE`, DirectoryUpload `uploading DIR` and FileDownload
    /// `downloading to FILE` (these two replace `descriptionDone`, as Buildbot's do), a Trigger's schedulers.
    public init(_ step: Step, runs: Bool, rendering interpolation: Interpolation) throws(Interpolation.Failure) {
        func render(_ text: String) throws(Interpolation.Failure) -> String {
            try interpolation.render(text).masked
        }
        func words(_ command: ShellCommand.Command) throws(Interpolation.Failure) -> [String] {
            switch command {
            case .shell(let text):
                return try render(text).split(whereSeparator: \.isWhitespace).map(String.init)
            case .argv(let argv):
                var words: [String] = []
                for word in argv { words.append(try render(word)) }
                return words
            }
        }
        if let text = step.description { description = try render(text) }
        if let text = step.descriptionDone { descriptionDone = try render(text) }
        if let text = step.descriptionSuffix { descriptionSuffix = try render(text) }
        switch step.action {
        case .shellCommand(let shell):
            command = try words(shell.command)
        case .setPropertyFromCommand(let shell, let property):
            command = try words(shell.command)
            doneOnSuccess = "property '\(property)' set"
        case .git(let checkout):
            if description == nil { description = "updating" }
            if descriptionDone == nil { descriptionDone = "update" }
            if descriptionSuffix == nil, !checkout.codebase.isEmpty { descriptionSuffix = checkout.codebase }
        case .fileUpload(let upload) where runs:
            let source = try render(upload.workersrc)
            if description == nil { description = "uploading \(Self.fileName(source))" }
            if descriptionDone == nil { descriptionDone = description }
        case .directoryUpload(let upload) where runs:
            let source = try render(upload.workersrc)
            descriptionDone = "uploading \(Self.fileName(source))"
        case .fileDownload(let download) where runs:
            let destination = try render(download.workerdest)
            descriptionDone = "downloading to \(Self.fileName(destination))"
        case .trigger(let trigger):
            triggered = runs ? trigger.schedulerNames : []
        case .fileUpload, .directoryUpload, .fileDownload:
            break
        }
    }
}
